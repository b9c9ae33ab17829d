//! Deployment targets for `regscope check`: will this image run there, and if not, why and how to fix it.

use std::fmt;

use super::finding::{Code, Finding};
use super::{config_platform, platform_label, ATTESTATION_FIX};
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Platform};

/// Where the image is meant to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// AWS Lambda container images: one Linux image manifest, amd64 or arm64.
    Lambda { arch: String },
    /// A container host of this platform (`linux/amd64`, `linux/arm/v7`).
    Platform(Platform),
}

impl Target {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "lambda" | "lambda/amd64" | "lambda/x86_64" => Ok(Target::Lambda {
                arch: "amd64".into(),
            }),
            "lambda/arm64" => Ok(Target::Lambda {
                arch: "arm64".into(),
            }),
            other if other.starts_with("lambda") => Err(format!(
                "`{other}` is not a Lambda target (lambda, lambda/amd64, lambda/arm64)"
            )),
            other => Platform::parse(other)
                .map(Target::Platform)
                .map_err(|e| format!("{e}; or use `lambda` / `lambda/arm64`")),
        }
    }

    /// The findings that make `root` unfit for this target (empty: it will run).
    #[must_use]
    pub fn check(&self, root: &Node) -> Vec<Finding> {
        match self {
            Target::Lambda { arch } => lambda(root, arch),
            Target::Platform(p) => platform(root, p),
        }
    }

    /// The platform an image must be to run here (`linux/amd64` for `lambda`).
    #[must_use]
    pub fn platform(&self) -> Platform {
        match self {
            Target::Lambda { arch } => Platform::new("linux", arch, None),
            Target::Platform(p) => p.clone(),
        }
    }

    /// The image manifest of `root` to deploy here: `root` itself, or the index entry whose
    /// descriptor and config both name this target's platform. For Lambda that entry is what
    /// to deploy by digest when the index itself is refused.
    #[must_use]
    pub fn fitting<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        let wanted = self.platform();
        let fits = |n: &Node| {
            n.is_runnable()
                && n.config_summary()
                    .is_none_or(|c| config_platform(c).satisfies(&wanted))
        };
        match root.kind {
            Kind::Index => root
                .children
                .iter()
                .find(|c| fits(c) && c.platform.as_ref().is_some_and(|p| p.satisfies(&wanted))),
            Kind::Manifest if fits(root) && root.config_summary().is_some() => Some(root),
            _ => None,
        }
    }

    /// Will `root` run here, and if not, why in a word or two (for a table cell).
    #[must_use]
    pub fn verdict(&self, root: &Node) -> Verdict {
        let findings = self.check(root);
        if findings.is_empty() {
            return Verdict::Runs;
        }
        Verdict::Rejected(self.reason(root, &findings))
    }

    fn reason(&self, root: &Node, findings: &[Finding]) -> String {
        let wanted = self.platform();
        let no = || {
            if wanted.os == "linux" {
                format!("no {}", wanted.to_string().trim_start_matches("linux/"))
            } else {
                format!("no {wanted}")
            }
        };
        let actual = root.config_summary().map(config_platform);
        match (self, root.kind) {
            (Target::Lambda { .. }, Kind::Index) => "index".into(),
            (_, Kind::Attestation) => "attestation".into(),
            (_, _) if root.platform.as_ref().is_some_and(Platform::is_unknown) => {
                "attestation".into()
            }
            (Target::Lambda { .. }, _) => match actual {
                Some(a) if a.os != "linux" => "not linux".into(),
                Some(a) if !a.satisfies(&wanted) => no(),
                _ if root.children.iter().any(|c| c.media_type.contains("zstd")) => {
                    "zstd layers".into()
                }
                _ => "media type".into(),
            },
            (Target::Platform(_), Kind::Index) => {
                let deleted = root.children.iter().any(|c| {
                    c.kind == Kind::Missing
                        && c.platform.as_ref().is_some_and(|p| p.satisfies(&wanted))
                });
                if findings.iter().any(|f| f.code == Code::TargetIncompatible) {
                    "mismatch".into()
                } else if deleted {
                    "deleted child".into()
                } else {
                    no()
                }
            }
            (Target::Platform(_), Kind::Manifest) => no(),
            (Target::Platform(_), _) => "not an image".into(),
        }
    }
}

/// Whether an image runs on a target, in a word: the tags view's verdict column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Runs,
    /// Rejected, and why: `index`, `no arm64`, `deleted child`, `mismatch`, ...
    Rejected(String),
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Runs => f.write_str("runs"),
            Verdict::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Lambda { arch } => write!(f, "lambda/{arch}"),
            Target::Platform(p) => p.fmt(f),
        }
    }
}

fn lambda(root: &Node, arch: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let incompatible = |msg: String, fix: &str| {
        Finding::new(Code::TargetIncompatible, &root.digest, msg).with_fix(fix)
    };
    if root.kind == Kind::Index {
        let attestations = root
            .children
            .iter()
            .filter(|c| c.kind == Kind::Attestation)
            .count();
        let wanted = Platform::new("linux", arch, None);
        let candidate = root
            .children
            .iter()
            .find(|c| c.is_runnable() && c.platform.as_ref().is_some_and(|p| p.satisfies(&wanted)));
        let deploy_digest = candidate.map_or_else(String::new, |c| {
            format!(
                " Or deploy the linux/{arch} manifest by digest: {}.",
                c.digest
            )
        });
        let entries = root.children.len();
        let message = if attestations > 0 {
            format!(
                "AWS Lambda needs a single-platform image manifest, but this is {} with {entries} entries, {attestations} of them BuildKit attestation manifests (platform unknown/unknown); Lambda rejects it with \"image manifest, config or layer media type ... not supported\"",
                article(&root.media_type)
            )
        } else {
            format!(
                "AWS Lambda needs a single-platform image manifest, but this is {} with {entries} entries; Lambda rejects it with \"image manifest, config or layer media type ... not supported\"",
                article(&root.media_type)
            )
        };
        let fix = format!(
            "Rebuild for one platform without attestations: `docker buildx build --platform linux/{arch} --provenance=false --sbom=false --push ...` (or set BUILDX_NO_DEFAULT_ATTESTATIONS=1).{deploy_digest}"
        );
        out.push(incompatible(message, &fix));
        return out;
    }
    if root.kind == Kind::Attestation || root.platform.as_ref().is_some_and(Platform::is_unknown) {
        out.push(incompatible(
            "this is a BuildKit attestation manifest, not a runnable image".into(),
            ATTESTATION_FIX,
        ));
        return out;
    }
    if !(root.media_type == mt::DOCKER_MANIFEST || root.media_type == mt::OCI_MANIFEST) {
        out.push(incompatible(
            format!(
                "AWS Lambda accepts Docker v2 schema 2 or OCI image manifests, not {}",
                mt::describe(&root.media_type)
            ),
            "Push a regular container image built with `docker buildx build --provenance=false`",
        ));
    }
    if let Some(cfg) = root.config_summary() {
        let actual = config_platform(cfg);
        if actual.os != "linux" {
            out.push(incompatible(
                format!(
                    "AWS Lambda runs Linux images; this image is {}",
                    platform_label(&actual)
                ),
                "Build a Linux image",
            ));
        } else if actual.architecture != arch {
            let other = if arch == "amd64" { "arm64" } else { "x86_64" };
            out.push(incompatible(
                format!(
                    "this image is {} but the function is {arch}; Lambda fails with \"exec format error\" (Runtime.InvalidEntrypoint)",
                    platform_label(&actual)
                ),
                &format!("Rebuild with `--platform linux/{arch}`, or set the function's architecture to {other}"),
            ));
        }
    }
    for layer in root.children.iter().filter(|c| c.kind == Kind::Layer) {
        if layer.media_type.contains("zstd") {
            out.push(
                Finding::new(
                    Code::TargetIncompatible,
                    &layer.digest,
                    format!(
                        "layer {} is zstd-compressed; Lambda supports gzip layers only",
                        layer.digest
                    ),
                )
                .with_fix(
                    "Build with `--output type=image,compression=gzip,force-compression=true`",
                ),
            );
        }
    }
    out
}

fn platform(root: &Node, wanted: &Platform) -> Vec<Finding> {
    let mut out = Vec::new();
    if root.kind == Kind::Index {
        let runnable: Vec<&Node> = root.children.iter().filter(|c| c.is_runnable()).collect();
        let matching: Vec<&&Node> = runnable
            .iter()
            .filter(|c| c.platform.as_ref().is_some_and(|p| p.satisfies(wanted)))
            .collect();
        if matching.is_empty() {
            let offered: Vec<String> = runnable
                .iter()
                .filter_map(|c| c.platform.as_ref())
                .map(platform_label)
                .collect();
            out.push(
                Finding::new(
                    Code::PlatformMissing,
                    &root.digest,
                    format!(
                        "{wanted} is not offered; the index has {}; a {wanted} host fails to pull (\"no matching manifest\") or, forced, with \"exec format error\"",
                        if offered.is_empty() { "no runnable platform".to_string() } else { offered.join(", ") }
                    ),
                )
                .with_fix(format!("Rebuild with `docker buildx build --platform {},{wanted} --push ...`", offered.first().cloned().unwrap_or_else(|| "linux/amd64".into()))),
            );
        }
        for child in matching {
            if let Some(cfg) = child.config_summary() {
                let actual = config_platform(cfg);
                if !actual.satisfies(&Platform::new(&wanted.os, &wanted.architecture, None)) {
                    out.push(
                        Finding::new(
                            Code::TargetIncompatible,
                            &child.digest,
                            format!("the {wanted} entry {} is really {} (its config says so); it fails with \"exec format error\"", child.digest, platform_label(&actual)),
                        )
                        .with_fix(format!("Rebuild the {wanted} image and re-push the index")),
                    );
                }
            }
        }
        return out;
    }
    if let Some(cfg) = root.config_summary() {
        let actual = config_platform(cfg);
        if !actual.satisfies(wanted) {
            out.push(
                Finding::new(
                    Code::PlatformMissing,
                    &root.digest,
                    format!("this is a single-platform {} image; on {wanted} it fails with \"exec format error\"", platform_label(&actual)),
                )
                .with_fix(format!("Rebuild with `docker buildx build --platform {wanted}` (or a list including it) and push an index")),
            );
        }
    } else if root.kind != Kind::Manifest {
        out.push(Finding::new(
            Code::PlatformMissing,
            &root.digest,
            format!("this {} is not a runnable image", root.kind.as_str()),
        ));
    }
    out
}

fn article(media_type: &str) -> String {
    let d = mt::describe(media_type);
    if d.starts_with(['A', 'E', 'I', 'O', 'U']) {
        format!("an {d}")
    } else {
        format!("a {d}")
    }
}

//! Deployment targets for `regscope check`: will this image run there, and if not, why and how to fix it.

use std::fmt;

use super::finding::{Code, Finding, Severity};
use super::{config_platform, platform_label, ATTESTATION_FIX};
use crate::digest::short;
use crate::model::media_type as mt;
use crate::model::target::windows_build;
use crate::model::{Kind, Node, Platform};

// The type and its names live in `model` (the config file reads one); judging is here.
pub use crate::model::target::{check_platform, Target, KNOWN_ARCHITECTURES, KNOWN_OS, NAMES};

/// Cloud Run's container runtime contract, cited by its findings.
pub const CLOUD_RUN_RULE: &str = "Cloud Run's container runtime contract: the executables must be compiled for Linux 64-bit (linux/amd64), and a multi-architecture image must include linux/amd64";
/// Fargate's Linux platform rule, cited by its findings.
pub const FARGATE_RULE: &str = "AWS Fargate runs Linux tasks on the task definition's runtimePlatform.cpuArchitecture (X86_64 or ARM64): the image must include linux/amd64 or linux/arm64 to match";
/// Fargate's Windows rule, cited by its findings.
pub const FARGATE_WINDOWS_RULE: &str = "AWS Fargate Windows runs Windows Server 2019 (build 10.0.17763) or 2022 (build 10.0.20348) Full or Core with process isolation: a Windows image's os.version build must be the host's";
/// Kubernetes' rule, cited by its findings.
pub const KUBERNETES_RULE: &str = "Kubernetes schedules a pod on any node whose kubernetes.io/arch is allowed, and the node pulls its own platform from the index: every listed architecture must be present and runnable";

impl Target {
    /// The findings that make `root` unfit for this target (empty: it will run).
    #[must_use]
    pub fn check(&self, root: &Node) -> Vec<Finding> {
        match self {
            Target::Lambda { arch } => lambda(root, arch),
            Target::Platform(p) => platform(root, p),
            Target::CloudRun => cite(platform(root, &self.platform()), CLOUD_RUN_RULE),
            Target::Fargate { .. } => cite(platform(root, &self.platform()), FARGATE_RULE),
            Target::FargateWindows { release } => {
                let mut out = platform(root, &self.platform());
                if out.is_empty() {
                    out.extend(windows_version(root, release));
                }
                cite(out, FARGATE_WINDOWS_RULE)
            }
            Target::Kubernetes { arches } => {
                let mut out = Vec::new();
                for arch in arches {
                    out.extend(platform(root, &Platform::new("linux", arch, None)));
                }
                cite(out, KUBERNETES_RULE)
            }
        }
    }

    /// The image manifest of `root` to deploy here: `root` itself, or the index entry whose
    /// descriptor and config both name this target's platform. For Lambda that entry is what
    /// to deploy by digest when the index itself is refused.
    #[must_use]
    pub fn fitting<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        fitting_for(root, &self.platform())
    }

    /// Will `root` run here, and if not, why in a word or two (for a table cell), from the
    /// tree alone. [`Target::judge`] also weighs what else is known about the image.
    #[must_use]
    pub fn verdict(&self, root: &Node) -> Verdict {
        self.judge(root, &[]).verdict
    }

    /// The one verdict every front end shows: the target's findings about `root`, and whether
    /// it runs here given everything else `known` about it (the tree's findings and what its
    /// files said). A manifest that would be deployed here but whose files say it cannot start
    /// does not run, whatever its platform.
    #[must_use]
    pub fn judge(&self, root: &Node, known: &[Finding]) -> Judgement {
        let findings = self.check(root);
        let verdict = if !findings.is_empty() {
            Verdict::Rejected(self.reason(root, &findings))
        } else if self.platforms().iter().any(|p| {
            fitting_for(root, p).is_some_and(|m| {
                known
                    .iter()
                    .any(|f| f.digest == m.digest && f.code.stops_start())
            })
        }) {
            Verdict::Rejected("cannot start".into())
        } else {
            Verdict::Runs
        };
        Judgement { findings, verdict }
    }

    /// The verdict with what else was learnt about the image (its files, the region): an
    /// error on what this target would run (the index, the entry it picks and everything under
    /// it) rejects it, named by its code; errors elsewhere (another platform's deleted child)
    /// do not. `check` says this; the tags view says [`verdict`](Self::verdict) until it knows more.
    #[must_use]
    pub fn verdict_with(&self, root: &Node, findings: &[Finding]) -> Verdict {
        let verdict = self.verdict(root);
        if verdict != Verdict::Runs {
            return verdict;
        }
        let mut runs: Vec<&str> = vec![root.digest.as_str()];
        for platform in self.platforms() {
            let single = Target::Platform(platform);
            if let Some(entry) = single.fitting(root) {
                runs.extend(entry.descendants().iter().map(|n| n.digest.as_str()));
            }
        }
        findings
            .iter()
            .find(|f| f.severity == Severity::Error && runs.contains(&f.digest.as_str()))
            .map_or(Verdict::Runs, |f| {
                Verdict::Rejected(f.code.as_str().to_string())
            })
    }

    /// The manifest to deploy on this target: the image itself when it runs, else (Lambda and
    /// an index) the entry for the target's platform when that one runs; `None` when nothing
    /// here runs there. `findings` are what [`verdict_with`](Self::verdict_with) weighs.
    #[must_use]
    pub fn deployable<'a>(&self, root: &'a Node, findings: &[Finding]) -> Option<&'a Node> {
        if self.verdict_with(root, findings) == Verdict::Runs {
            return Some(root);
        }
        let entry = self.fitting(root).filter(|e| !std::ptr::eq(*e, root))?;
        (self.verdict_with(entry, findings) == Verdict::Runs).then_some(entry)
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
        // The manifest this target would pull is gone: the cause, whatever else is wrong (a
        // Lambda verdict of `index` would hide that deploying by digest fails too).
        let deleted = root.kind == Kind::Index
            && self
                .platforms()
                .iter()
                .any(|p| listed_entry(root, p).is_some_and(|c| c.kind == Kind::Missing));
        match (self, root.kind) {
            _ if deleted => "deleted child".into(),
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
            (_, Kind::Index) => {
                if findings.iter().any(|f| f.code == Code::TargetIncompatible) {
                    "mismatch".into()
                } else {
                    no()
                }
            }
            (_, Kind::Manifest) => no(),
            (_, _) => "not an image".into(),
        }
    }
}

/// Whether an image runs on a target, in a word: the tags view's verdict column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Runs,
    /// Rejected, and why: `index`, `no arm64`, `deleted child`, `mismatch`, `cannot start`, ...
    Rejected(String),
}

/// A target's view of one image: why it will not run there (the findings every front end
/// lists first) and the verdict those and everything else known lead to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
}

/// The image manifest of `root` for `wanted`: `root` itself, or the index entry whose
/// descriptor and config both name that platform.
fn fitting_for<'a>(root: &'a Node, wanted: &Platform) -> Option<&'a Node> {
    let fits = |n: &Node| {
        n.is_runnable()
            && n.config_summary()
                .is_none_or(|c| config_platform(c).satisfies(wanted))
    };
    match root.kind {
        Kind::Index => root
            .children
            .iter()
            .find(|c| fits(c) && c.platform.as_ref().is_some_and(|p| p.satisfies(wanted))),
        Kind::Manifest if fits(root) && root.config_summary().is_some() => Some(root),
        _ => None,
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Runs => f.write_str("runs"),
            Verdict::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

fn lambda(root: &Node, arch: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let incompatible = |msg: String, fix: &str| {
        Finding::new(Code::TargetIncompatible, &root.digest, msg).with_fix(fix)
    };
    if root.kind == Kind::Index {
        return lambda_index(root, arch);
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

/// Each finding ends with the rule of the platform it is about.
fn cite(mut findings: Vec<Finding>, rule: &str) -> Vec<Finding> {
    for f in &mut findings {
        f.message = format!("{} ({rule})", f.message);
    }
    findings
}

/// Fargate Windows: the image's `os.version` (from the index entry, else the config) must be
/// the release's build.
fn windows_version(root: &Node, release: &str) -> Vec<Finding> {
    let Some(build) = windows_build(release) else {
        return Vec::new();
    };
    let wanted = Platform::new("windows", "amd64", None);
    let candidates: Vec<&Node> = match root.kind {
        Kind::Index => root
            .children
            .iter()
            .filter(|c| {
                c.is_runnable() && c.platform.as_ref().is_some_and(|p| p.satisfies(&wanted))
            })
            .collect(),
        _ => vec![root],
    };
    let version = |n: &Node| {
        n.platform
            .as_ref()
            .and_then(|p| p.os_version.clone())
            .or_else(|| n.config_summary().and_then(|c| c.os_version.clone()))
    };
    let matches = |v: &str| v == build || v.starts_with(&format!("{build}."));
    if candidates
        .iter()
        .any(|n| version(n).is_some_and(|v| matches(&v)))
    {
        return Vec::new();
    }
    let have: Vec<String> = candidates
        .iter()
        .map(|n| {
            version(n).map_or_else(
                || "no os.version".into(),
                |v| crate::sanitize::sanitize(&v).into_owned(),
            )
        })
        .collect();
    vec![Finding::new(
        Code::TargetIncompatible,
        &root.digest,
        format!(
            "Fargate windows-{release} needs a Windows image built on {build}, but this one is {}; the task fails to start (\"The container operating system does not match the host operating system\")",
            have.join(", ")
        ),
    )
    .with_fix(format!(
        "Build FROM the ltsc{release} base (mcr.microsoft.com/windows/servercore:ltsc{release} or nanoserver:ltsc{release}), or choose the task's platform family to match the image"
    ))]
}

/// The entry a runtime would pick for `wanted`: the first listed (runnable or with its manifest
/// gone) whose platform satisfies it, as containerd and docker take the first match.
fn listed_entry<'a>(index: &'a Node, wanted: &Platform) -> Option<&'a Node> {
    index.children.iter().find(|c| {
        (c.is_runnable() || c.kind == Kind::Missing)
            && c.platform
                .as_ref()
                .is_some_and(|p| !p.is_unknown() && p.satisfies(wanted))
    })
}

/// `wanted` is listed, but the manifest behind it was deleted: a pull fails with "manifest
/// unknown", not "no matching manifest", and the fix is to push the tag again.
fn gone(entry: &Node, wanted: &str, index: &str) -> Finding {
    Finding::new(
        Code::TargetIncompatible,
        &entry.digest,
        format!(
            "the index {} lists {wanted} but its manifest {} is gone from the registry (deleted, e.g. by a lifecycle policy that expires untagged images); pulling {wanted} fails with \"manifest unknown\"",
            short(index),
            entry.digest
        ),
    )
    .with_fix("Re-push the tag (rebuild with `docker buildx build --push`, or copy it back from where it was built) to restore the manifest, and exclude index children from lifecycle rules")
}

/// Lambda and an index: never; the fix rebuilds, or deploys the platform's manifest by digest
/// while it is still in the registry.
fn lambda_index(root: &Node, arch: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let attestations = root
        .children
        .iter()
        .filter(|c| c.kind == Kind::Attestation)
        .count();
    let wanted = Platform::new("linux", arch, None);
    let deploy_digest = match listed_entry(root, &wanted) {
        Some(c) if c.kind == Kind::Missing => {
            out.push(gone(c, &wanted.to_string(), &root.digest));
            String::new()
        }
        Some(c) => format!(
            " Or deploy the linux/{arch} manifest by digest: {}.",
            c.digest
        ),
        None => String::new(),
    };
    let entries = match root.children.len() {
        1 => "1 entry".to_string(),
        n => format!("{n} entries"),
    };
    let message = if attestations > 0 {
        format!(
            "AWS Lambda needs a single-platform image manifest, but this is {} with {entries}, {} (platform unknown/unknown); Lambda rejects it with \"image manifest, config or layer media type ... not supported\"",
            article(&root.media_type),
            if attestations == 1 {
                "1 of them a BuildKit attestation manifest".to_string()
            } else {
                format!("{attestations} of them BuildKit attestation manifests")
            }
        )
    } else {
        format!(
            "AWS Lambda needs a single-platform image manifest, but this is {} with {entries}; Lambda rejects it with \"image manifest, config or layer media type ... not supported\"",
            article(&root.media_type)
        )
    };
    let fix = format!(
        "Rebuild for one platform without attestations: `docker buildx build --platform linux/{arch} --provenance=false --sbom=false --push ...` (or set BUILDX_NO_DEFAULT_ATTESTATIONS=1).{deploy_digest}"
    );
    out.insert(
        0,
        Finding::new(Code::TargetIncompatible, &root.digest, message).with_fix(fix),
    );
    // Each attestation entry is named too, by the platform registries list it under, so the
    // rows that make this an index Lambda refuses are the ones marked, and the user finds
    // them in what ECR shows.
    for a in root.children.iter().filter(|c| c.kind == Kind::Attestation) {
        out.push(attestation_entry(a));
    }
    out
}

/// An attestation entry of an index Lambda refuses.
fn attestation_entry(a: &Node) -> Finding {
    let platform = a.platform.as_ref().map_or_else(
        || "no platform".to_string(),
        |p| crate::sanitize::sanitize(&platform_label(p)).into_owned(),
    );
    let about = match &a.attests {
        Some(t) => match &t.platform {
            Some(p) => format!(
                "attests {} ({})",
                crate::sanitize::sanitize(&platform_label(p)),
                short(&t.digest)
            ),
            None => format!("attests {} (not an entry of this index)", short(&t.digest)),
        },
        None => "does not say what it attests".to_string(),
    };
    Finding::new(
        Code::TargetIncompatible,
        &a.digest,
        format!(
            "the index entry {} is a BuildKit attestation, listed as platform {platform} (as ECR and `docker buildx imagetools inspect` show it); it {about} and is not an image Lambda can run; Lambda refuses the index that lists it",
            short(&a.digest)
        ),
    )
    .with_fix("Build without attestations: `docker buildx build --provenance=false --sbom=false` (or set BUILDX_NO_DEFAULT_ATTESTATIONS=1)")
}

fn platform(root: &Node, wanted: &Platform) -> Vec<Finding> {
    let mut out = Vec::new();
    if root.kind == Kind::Index {
        match listed_entry(root, wanted) {
            None => out.push(not_offered(root, wanted)),
            Some(entry) if entry.kind == Kind::Missing => {
                out.push(gone(entry, &wanted.to_string(), &root.digest));
            }
            Some(_) => {}
        }
        let matching = root.children.iter().filter(|c| {
            c.is_runnable() && c.platform.as_ref().is_some_and(|p| p.satisfies(wanted))
        });
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
                .with_fix(format!(
                    "Rebuild for the platform it has plus {wanted}, which pushes an index: `docker buildx build --platform {actual},{wanted} --push ...`"
                )),
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

/// `wanted` is not in the index at all. The fix keeps every platform the index already lists
/// (a rebuild for the missing one alone would drop them) and adds the missing one.
fn not_offered(index: &Node, wanted: &Platform) -> Finding {
    let mut has: Vec<String> = Vec::new();
    let mut build: Vec<String> = Vec::new();
    for c in index
        .children
        .iter()
        .filter(|c| c.is_runnable() || c.kind == Kind::Missing)
    {
        let Some(p) = c.platform.as_ref().filter(|p| !p.is_unknown()) else {
            continue;
        };
        let label = if c.kind == Kind::Missing {
            format!("{} (its manifest is gone)", platform_label(p))
        } else {
            platform_label(p)
        };
        if !has.contains(&label) {
            has.push(label);
        }
        // `--platform` takes os/arch[/variant]; an os.version is not part of it.
        if !build.contains(&p.to_string()) {
            build.push(p.to_string());
        }
    }
    build.push(wanted.to_string());
    let has = if has.is_empty() {
        "no runnable platform".to_string()
    } else {
        has.join(", ")
    };
    Finding::new(
        Code::PlatformMissing,
        &index.digest,
        format!(
            "{wanted} is not offered; the index has {has}; a {wanted} host fails to pull (\"no matching manifest\") or, forced, with \"exec format error\""
        ),
    )
    .with_fix(format!(
        "Rebuild with the platforms the index has plus {wanted}: `docker buildx build --platform {} --push ...`",
        build.join(",")
    ))
}

fn article(media_type: &str) -> String {
    let d = mt::describe(media_type);
    if d.starts_with(['A', 'E', 'I', 'O', 'U']) {
        format!("an {d}")
    } else {
        format!("a {d}")
    }
}

#[cfg(test)]
mod tests;

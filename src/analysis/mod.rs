//! Pure analysis: a manifest tree in, findings out. No I/O.

pub mod files;
pub mod finding;
pub mod layer_files;
pub mod target;

use std::collections::HashMap;

pub use finding::{Code, Finding, Severity};
pub use target::{Judgement, Target, Verdict};
// Reading a config is naming, below `layers`, which chooses platform manifests by it.
pub use crate::model::config::config_platform;

use crate::digest::short;
use crate::model::annotations;
use crate::model::media_type as mt;
use crate::model::{Kind, Node, Platform, Problem};
use crate::sanitize::sanitize;

/// The fix for a consumer that rejects `BuildKit`'s attestation entries.
pub const ATTESTATION_FIX: &str = "Harmless for `docker pull`. If a consumer rejects the index (AWS Lambda: \"image manifest, config or layer media type ... not supported\"), rebuild with `docker buildx build --provenance=false --sbom=false` or set BUILDX_NO_DEFAULT_ATTESTATIONS=1, or deploy the platform manifest by digest";

/// Every finding the tree itself supports (no deployment target), most severe first.
#[must_use]
pub fn analyze(root: &Node) -> Vec<Finding> {
    let mut out = Vec::new();
    visit(root, None, &mut out);
    sort(&mut out);
    out
}

/// Sorts findings by severity (worst first), keeping tree order within a severity.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
}

/// The worst severity among `findings`.
#[must_use]
pub fn worst(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max()
}

fn visit(node: &Node, parent: Option<&Node>, out: &mut Vec<Finding>) {
    problems(node, out);
    match node.kind {
        Kind::Index if node.problem.is_none() || is_partial(node) => index_findings(node, out),
        Kind::Attestation => out.push(attestation_finding(node)),
        Kind::Manifest if node.problem.is_none() => manifest_findings(node, parent, out),
        _ => {}
    }
    if let Some(parent) = parent {
        signature_subject(node, parent, out);
    }
    for child in &node.children {
        visit(child, Some(node), out);
    }
}

/// A cosign signature attached to `parent` whose payload signs another digest: copied from
/// another image (by mistake, or to make an unsigned image look signed). It proves nothing
/// about this one, key or no key.
fn signature_subject(node: &Node, parent: &Node, out: &mut Vec<Finding>) {
    if node.origin.is_none() {
        return;
    }
    for layer in &node.children {
        let Some(crate::model::payload::Payload::CosignSignature {
            signed_digest: Some(signed),
            ..
        }) = &layer.payload
        else {
            continue;
        };
        if *signed != parent.digest {
            out.push(
                Finding::new(
                    Code::SignatureOtherImage,
                    &node.digest,
                    format!(
                        "cosign signature {} signs {}, not this image ({} {})",
                        short(&node.digest),
                        sanitize(signed),
                        describe_node(parent),
                        short(&parent.digest)
                    ),
                )
                .with_fix("A signature of another image says nothing about this one: sign this image by digest (`cosign sign REPO@DIGEST`), and delete the copied signature tag"),
            );
        }
    }
}

/// An index shown with only some of its entries: what is shown is still checked.
fn is_partial(node: &Node) -> bool {
    matches!(
        node.problem,
        Some(Problem::Cut {
            repeated: false,
            ..
        })
    ) && !node.children.is_empty()
}

fn problems(node: &Node, out: &mut Vec<Finding>) {
    let what = describe_node(node);
    let Some(problem) = &node.problem else { return };
    let finding = match problem {
        Problem::Missing { detail } => Finding::new(
            Code::DanglingReference,
            &node.digest,
            format!("{what} {} is referenced but the registry does not have it ({})", node.digest, sanitize(detail)),
        )
        .with_fix("It was probably deleted (e.g. by an ECR lifecycle policy that expires untagged images) or never pushed; re-push the image, and exclude index children from lifecycle rules"),
        Problem::DigestMismatch { expected, actual, loops } => {
            if *loops {
                out.push(
                    Finding::new(
                        Code::ReferenceCycle,
                        &node.digest,
                        format!("{what} {expected} was served with the content of an index above it ({actual}): a reference cycle; the tree stops here"),
                    )
                    .with_fix("The registry (or a proxy) serves wrong content for this digest; report it to the registry operator"),
                );
            }
            Finding::new(
            Code::DigestMismatch,
            &node.digest,
            format!("{what} fetched as {expected} hashes to {actual}; its content is not trusted and was not used"),
        )
            .with_fix("Treat this as a security finding: the registry, a proxy or a cache served different bytes than the digest names. Compare with another pull path and contact the registry operator")
        }
        Problem::TooLarge { limit, size } => Finding::new(
            Code::ContentTooLarge,
            &node.digest,
            format!(
                "{what} {} is larger than the {limit}-byte limit{}; it was not read",
                node.digest,
                size.map(|s| format!(" ({s} bytes)")).unwrap_or_default()
            ),
        ),
        Problem::Malformed { detail } => Finding::new(
            Code::MalformedContent,
            &node.digest,
            format!("{what} {} cannot be read: {}", node.digest, sanitize(detail)),
        ),
        Problem::Cycle => Finding::new(
            Code::ReferenceCycle,
            &node.digest,
            format!("{what} {} refers back to an index above it; the tree stops here", node.digest),
        )
        .with_fix("An index must not contain itself; rebuild and re-push the index"),
        Problem::FetchFailed { detail } => Finding::new(
            Code::FetchFailed,
            &node.digest,
            format!("{what} {} could not be fetched, so it was not checked: {}", node.digest, sanitize(detail)),
        ),
        Problem::Cut { detail, repeated: true } => Finding::new(
            Code::RepeatedIndex,
            &node.digest,
            format!("{what} {} {}", node.digest, sanitize(detail)),
        ),
        Problem::Cut { detail, repeated: false } => Finding::new(
            Code::TreeCut,
            &node.digest,
            format!("{what} {}: {}; the tree was cut here", node.digest, sanitize(detail)),
        )
        .with_fix("regscope stops at a depth of 16 and 10,000 nodes so a hostile or broken registry cannot exhaust it; inspect the cut node by digest (REPO@DIGEST) to see below it"),
    };
    out.push(finding);
}

fn describe_node(node: &Node) -> &'static str {
    match node.kind {
        Kind::Index => "index",
        Kind::Manifest | Kind::Missing => "manifest",
        Kind::Attestation => "attestation manifest",
        Kind::Config => "config",
        Kind::Layer => "layer",
        Kind::Statement => "in-toto statement",
        Kind::Referrer => "referrer",
    }
}

fn index_findings(index: &Node, out: &mut Vec<Finding>) {
    // Two runnable entries claiming one platform: a runtime picks one of them arbitrarily.
    let mut seen: HashMap<String, &Node> = HashMap::new();
    for child in index.children.iter().filter(|c| c.is_runnable()) {
        let Some(p) = &child.platform else { continue };
        if p.os.is_empty() || p.architecture.is_empty() {
            continue;
        }
        let key = format!(
            "{}/{}/{}/{}",
            p.os,
            p.architecture,
            p.normalized_variant().unwrap_or(""),
            p.os_version.as_deref().unwrap_or("")
        );
        if let Some(first) = seen.get(&key) {
            out.push(
                Finding::new(
                    Code::PlatformDuplicate,
                    &child.digest,
                    format!("{} and {} both claim {}; a runtime will pick one of them", first.digest, child.digest, platform_label(p)),
                )
                .with_fix("Push one manifest per platform (check the build's --platform list for duplicates)"),
            );
        } else {
            seen.insert(key, child);
        }
    }
    // Docker manifest lists hold Docker manifests, OCI indexes OCI manifests; mixing confuses
    // older clients and some registries.
    let docker_parent = mt::is_docker(&index.media_type);
    for child in &index.children {
        if child.kind == Kind::Missing || child.media_type.is_empty() {
            continue;
        }
        let mixed = if docker_parent {
            mt::is_oci(&child.media_type)
        } else {
            mt::is_docker(&child.media_type)
        };
        if mixed {
            out.push(
                Finding::new(
                    Code::MediaTypeMixed,
                    &child.digest,
                    format!("{} {} holds a {} entry ({})", mt::describe(&index.media_type), index.digest, mt::describe(&child.media_type), child.digest),
                )
                .with_fix("Build with one media type family (e.g. `--output type=image,oci-mediatypes=true`) so older clients and registries accept it"),
            );
        }
    }
}

fn attestation_finding(node: &Node) -> Finding {
    let about = match &node.attests {
        Some(a) => match &a.platform {
            Some(p) => format!("for {} ({})", platform_label(p), short(&a.digest)),
            None => format!("for {} (not an entry of this index)", short(&a.digest)),
        },
        None => "(does not say which manifest it attests)".to_string(),
    };
    let mut kinds: Vec<String> = node
        .children
        .iter()
        .filter_map(|c| c.annotations.get(annotations::IN_TOTO_PREDICATE_TYPE))
        .map(|p| {
            crate::model::intoto::predicate_label(p)
                .map_or_else(|| sanitize(p).into_owned(), str::to_string)
        })
        .collect();
    kinds.dedup();
    let what = if kinds.is_empty() {
        "attestation".to_string()
    } else {
        kinds.join(", ")
    };
    Finding::new(
        Code::AttestationManifest,
        &node.digest,
        format!("BuildKit attestation ({what}) {about}; not runnable"),
    )
    .with_fix(ATTESTATION_FIX)
}

fn manifest_findings(node: &Node, parent: Option<&Node>, out: &mut Vec<Finding>) {
    let in_index = parent.is_some_and(|p| p.kind == Kind::Index);
    if let Some(p) = &node.platform {
        if p.is_unknown() {
            let kind = node
                .annotations
                .get(annotations::REFERENCE_TYPE)
                .map_or_else(
                    || {
                        node.artifact_type
                            .clone()
                            .unwrap_or_else(|| "no reference type".into())
                    },
                    std::clone::Clone::clone,
                );
            out.push(Finding::new(
                Code::UnknownPlatformEntry,
                &node.digest,
                format!(
                    "unknown/unknown entry {} ({}) is not a runnable image",
                    node.digest,
                    sanitize(&kind)
                ),
            ));
            return;
        }
    }
    if in_index {
        match &node.platform {
            None => out.push(
                Finding::new(Code::PlatformInvalid, &node.digest, format!("index entry {} has no platform", node.digest))
                    .with_fix("Every runnable entry of an index needs a platform; rebuild with buildx or set it with `docker manifest annotate`"),
            ),
            Some(p) if !known_os(&p.os) || !known_arch(&p.architecture) => out.push(
                Finding::new(
                    Code::PlatformInvalid,
                    &node.digest,
                    format!("index entry {} claims platform `{}`, which no runtime will select", node.digest, sanitize(&platform_label(p))),
                )
                .with_fix("Use GOOS/GOARCH names (linux/amd64, linux/arm64, linux/arm/v7, windows/amd64, ...)"),
            ),
            Some(_) => {}
        }
    }
    let config = node.config_summary();
    if let (Some(claimed), Some(cfg)) = (&node.platform, config) {
        let actual = config_platform(cfg);
        if disagree(claimed, &actual) {
            out.push(
                Finding::new(
                    Code::PlatformMismatch,
                    &node.digest,
                    format!(
                        "index says {} but the config of {} says {}; a {} host pulls it and fails with \"exec format error\"",
                        platform_label(claimed),
                        short(&node.digest),
                        platform_label(&actual),
                        platform_label(claimed)
                    ),
                )
                .with_fix("Rebuild with `docker buildx build --platform` listing each platform once (avoid `docker manifest create` with hand-picked images), then re-push the index"),
            );
        }
    }
    if let Some(cfg) = config {
        // An unknown/unknown config is an attestation's: nothing runs, as root or otherwise.
        if cfg.runs_as_root() && !config_platform(cfg).is_unknown() {
            out.push(
                Finding::new(
                    Code::RunsAsRoot,
                    &node.digest,
                    format!(
                        "{} runs as root ({})",
                        short(&node.digest),
                        if cfg.user.is_empty() {
                            "no USER in the config".to_string()
                        } else {
                            format!("config user `{}`", sanitize(&cfg.user))
                        }
                    ),
                )
                .with_fix("Add `USER <non-root>` to the Dockerfile"),
            );
        }
    }
}

/// Whether a descriptor's platform contradicts its config. A variant missing on one side is not
/// a contradiction (many configs omit it); differing os, architecture or variant is.
fn disagree(claimed: &Platform, actual: &Platform) -> bool {
    if claimed.os != actual.os || claimed.architecture != actual.architecture {
        return true;
    }
    match (claimed.variant.as_deref(), actual.variant.as_deref()) {
        (Some(a), Some(b)) => claimed.normalized_variant() != actual.normalized_variant() && a != b,
        _ => false,
    }
}

#[must_use]
pub fn platform_label(p: &Platform) -> String {
    let mut s = p.to_string();
    if let Some(v) = &p.os_version {
        s.push_str(&format!(" ({v})"));
    }
    s
}

fn known_os(os: &str) -> bool {
    matches!(
        os,
        "linux"
            | "windows"
            | "darwin"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "dragonfly"
            | "solaris"
            | "illumos"
            | "aix"
            | "plan9"
            | "android"
            | "ios"
            | "js"
            | "wasip1"
            | "wasi"
            | "zos"
    )
}

fn known_arch(arch: &str) -> bool {
    matches!(
        arch,
        "amd64"
            | "arm64"
            | "arm"
            | "386"
            | "ppc64le"
            | "ppc64"
            | "s390x"
            | "riscv64"
            | "mips64le"
            | "mips64"
            | "mipsle"
            | "mips"
            | "loong64"
            | "wasm"
    )
}

//! Findings from an image's merged filesystem: will its entrypoint start (it exists, its loader
//! or interpreter exists, it is built for the config's machine), can it verify TLS, does its
//! USER exist. Pure: a config and a filesystem in, findings out.

use serde::Serialize;

use super::finding::{Code, Finding};
use crate::digest::short;
use crate::layers::fs::{is_executable, Lookup};
use crate::layers::{EntryKind, Exec, Filesystem};
use crate::model::config::ConfigSummary;
use crate::sanitize::sanitize;

/// Where TLS clients look for CA certificates (Debian/Ubuntu/Alpine, RHEL/Fedora, SUSE, Go's list).
pub const CA_BUNDLES: [&str; 6] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/tls/cacert.pem",
];

const LOADER_FIX: &str = "Build the binary statically (Go: `CGO_ENABLED=0 go build`; C/Rust: link with musl or `-static`), or use a base image that has this loader (the build stage's distribution, or distroless/base instead of scratch/static)";

/// What the filesystem says about the image, beside the findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// From `/etc/os-release` (`Alpine Linux v3.20`), else `scratch` or `unknown`.
    pub os: String,
    /// The command the container starts, as the config names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where that command resolved to in the image, when that is not the command itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    /// What it is: `ELF amd64, dynamic (/lib/ld-musl-x86_64.so.1)`, `script (/bin/sh)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    /// The CA bundle found, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
}

/// The findings for the image manifest `digest` with config `cfg` and filesystem `fs`.
#[must_use]
pub fn check(
    digest: &str,
    cfg: &ConfigSummary,
    fs: &Filesystem,
    depth: usize,
) -> (Vec<Finding>, Facts) {
    let mut out = Vec::new();
    let partial = fs.stopped();
    for why in &partial {
        out.push(
            Finding::new(Code::FilesPartial, digest, format!("the filesystem of {} is partial: {}; findings about missing files were not made", short(digest), sanitize(why)))
                .with_fix("A layer hit a bound regscope keeps against hostile registries (entries, decompressed bytes); inspect that layer by itself, or rebuild it smaller"),
        );
    }
    let whole = partial.is_empty();
    let mut facts = Facts {
        os: os_name(fs, depth),
        ..Facts::default()
    };
    entrypoint(digest, cfg, fs, depth, whole, &mut facts, &mut out);
    if cfg.os == "linux" || cfg.os.is_empty() {
        facts.ca_bundle = CA_BUNDLES
            .iter()
            .find(|p| matches!(fs.resolve(p, depth), Lookup::Found(f) if fs.get(&f).is_some_and(|n| n.entry.kind == EntryKind::File)))
            .map(|p| (*p).to_string());
        if facts.ca_bundle.is_none() && whole {
            out.push(
                Finding::new(Code::CaBundleMissing, digest, format!("{} has no CA bundle ({} and the other usual paths): HTTPS clients in it fail with \"x509: certificate signed by unknown authority\"", short(digest), CA_BUNDLES[0]))
                    .with_fix("Copy it from the build stage: `COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/`, or install ca-certificates in the image"),
            );
        }
    }
    user(digest, cfg, fs, depth, whole, &mut out);
    (out, facts)
}

/// The distribution `/etc/os-release` names, or what its absence suggests.
#[must_use]
pub fn os_name(fs: &Filesystem, depth: usize) -> String {
    let text = fs
        .text("/etc/os-release", depth)
        .or_else(|| fs.text("/usr/lib/os-release", depth));
    if let Some(text) = text {
        let field = |key: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(key)
                    .and_then(|v| v.strip_prefix('='))
                    .map(|v| v.trim().trim_matches('"').to_string())
            })
        };
        if let Some(name) = field("PRETTY_NAME").or_else(|| field("NAME")) {
            return sanitize(&name).into_owned();
        }
    }
    if matches!(fs.resolve("/bin/sh", depth), Lookup::Found(_)) {
        "unknown (no /etc/os-release)".into()
    } else {
        "scratch (no /etc/os-release, no shell)".into()
    }
}

/// The argv[0] a container starts with: the entrypoint's first word, else the cmd's.
fn command(cfg: &ConfigSummary) -> Option<&str> {
    match &cfg.entrypoint {
        Some(e) if !e.is_empty() => e.first().map(String::as_str),
        _ => cfg.cmd.as_ref().and_then(|c| c.first()).map(String::as_str),
    }
}

fn entrypoint(
    digest: &str,
    cfg: &ConfigSummary,
    fs: &Filesystem,
    depth: usize,
    whole: bool,
    facts: &mut Facts,
    out: &mut Vec<Finding>,
) {
    let Some(argv0) = command(cfg) else {
        return;
    };
    facts.command = Some(sanitize(argv0).into_owned());
    let shown = sanitize(argv0);
    let missing = |detail: String| {
        Finding::new(Code::EntrypointMissing, digest, format!("the entrypoint `{shown}` {detail}: the container fails to start (\"exec: {shown}: no such file or directory\")"))
            .with_fix("Fix the ENTRYPOINT/CMD path, or COPY the program into the image (in a multi-stage build, from the build stage)")
    };
    let path = match fs.which(
        argv0,
        cfg.path_env.as_deref(),
        cfg.working_dir.as_deref(),
        depth,
    ) {
        Lookup::Found(p) => p,
        Lookup::Missing { missing: m } if whole => {
            let detail = if argv0.contains('/') {
                format!("does not exist in the image (nothing at /{})", sanitize(&m))
            } else {
                format!(
                    "is not found along PATH ({})",
                    sanitize(
                        cfg.path_env
                            .as_deref()
                            .unwrap_or(crate::layers::fs::DEFAULT_PATH)
                    )
                )
            };
            out.push(missing(detail));
            return;
        }
        Lookup::Loop { at } => {
            out.push(missing(format!(
                "leads into a loop of symbolic links at /{}",
                sanitize(&at)
            )));
            return;
        }
        Lookup::Missing { .. } => return,
    };
    // Said only when it is news: a bare name found along PATH, or a link followed.
    let resolved = format!("/{}", sanitize(&path));
    if facts.command.as_deref() != Some(resolved.as_str()) {
        facts.resolved = Some(resolved);
    }
    let Some(node) = fs.get(&path) else {
        out.push(missing("is a directory".into()));
        return;
    };
    if node.entry.kind == EntryKind::Dir {
        out.push(missing("is a directory".into()));
        return;
    }
    if !is_executable(&node.entry) {
        out.push(
            Finding::new(Code::EntrypointMissing, digest, format!("the entrypoint /{} is not an executable file (mode {:o}): the start fails with \"permission denied\"", sanitize(&path), node.entry.mode))
                .with_fix("`chmod +x` it in the build (or `COPY --chmod=755`)"),
        );
        return;
    }
    match &node.entry.exec {
        Some(Exec::Elf(elf)) => {
            let arch = elf.architecture().unwrap_or("unknown machine");
            facts.program = Some(format!("ELF {arch}, {}", sanitize(&elf.linking())));
            if !cfg.architecture.is_empty()
                && elf.architecture().is_some_and(|a| a != cfg.architecture)
            {
                out.push(
                    Finding::new(Code::EntrypointArchMismatch, digest, format!("the entrypoint /{} is an {arch} program but the image is labelled {}: it fails with \"exec format error\"", sanitize(&path), sanitize(&cfg.architecture)))
                        .with_fix(format!("Build the binary for {} (Go: GOARCH={}; buildx: use TARGETARCH in the build stage, not the build host's architecture)", sanitize(&cfg.architecture), sanitize(&cfg.architecture))),
                );
            }
            if let Some(loader) = &elf.interpreter {
                if whole && !matches!(fs.resolve(loader, depth), Lookup::Found(_)) {
                    out.push(
                        Finding::new(Code::EntrypointInterpreterMissing, digest, format!("the entrypoint /{} is dynamically linked and needs the loader {}, which the image does not have: it fails with \"exec /{}: no such file or directory\" although the file is there", sanitize(&path), sanitize(loader), sanitize(&path)))
                            .with_fix(LOADER_FIX),
                    );
                }
            }
        }
        Some(Exec::Script { interpreter }) => {
            facts.program = Some(format!("script ({})", sanitize(interpreter)));
            if whole && !matches!(fs.resolve(interpreter, depth), Lookup::Found(_)) {
                out.push(
                    Finding::new(Code::EntrypointInterpreterMissing, digest, format!("the entrypoint /{} is a script for `{}`, which the image does not have: it fails with \"no such file or directory\"", sanitize(&path), sanitize(interpreter)))
                        .with_fix("Install that interpreter in the image, change the `#!` line to one it has, or replace the script with a static binary"),
                );
            }
        }
        Some(Exec::Unknown) => facts.program = Some("not an ELF or script".into()),
        None => {}
    }
}

/// A named USER must be in `/etc/passwd` (the runtime looks it up before starting); a numeric
/// one needs no entry. Root gets the detail of what to switch to.
fn user(
    digest: &str,
    cfg: &ConfigSummary,
    fs: &Filesystem,
    depth: usize,
    whole: bool,
    out: &mut Vec<Finding>,
) {
    let passwd = fs.text("/etc/passwd", depth);
    let user = cfg.user.trim();
    let name = user.split_once(':').map_or(user, |(u, _)| u);
    if cfg.runs_as_root() {
        let detail = match passwd.and_then(first_regular_user) {
            Some(u) => format!(
                "its /etc/passwd has `{}`: `USER {}` would do",
                sanitize(&u),
                sanitize(&u)
            ),
            None if passwd.is_some() => {
                "its /etc/passwd has no regular user: add one, or use a numeric USER such as 65532"
                    .into()
            }
            None => "it has no /etc/passwd, so only a numeric USER works (e.g. `USER 65532:65532`)"
                .into(),
        };
        // The detail for the tree's own `runs-as-root` finding (see `merge_into`).
        out.push(
            Finding::new(Code::RunsAsRoot, digest, detail)
                .with_fix("Add `USER <non-root>` to the Dockerfile"),
        );
        return;
    }
    if name.is_empty() || name.parse::<u64>().is_ok() || !whole {
        return;
    }
    let known = passwd.is_some_and(|p| p.lines().any(|l| l.split(':').next() == Some(name)));
    if !known {
        out.push(
            Finding::new(Code::UserMissing, digest, format!("the config's USER `{}` is not in the image's /etc/passwd{}: the start fails with \"unable to find user {}: no matching entries in passwd file\"", sanitize(name), if passwd.is_none() { " (there is none)" } else { "" }, sanitize(name)))
                .with_fix("Add the user in the image (`adduser`, or COPY an /etc/passwd with it), or use a numeric USER (e.g. `USER 65532:65532`), which needs no entry"),
        );
    }
}

/// The first non-root account with a uid of 1000 or more (or `nobody`/`nonroot`).
fn first_regular_user(passwd: &str) -> Option<String> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let uid: u64 = f.nth(1)?.parse().ok()?;
        ((1000..65534).contains(&uid) || name == "nonroot").then(|| name.to_string())
    })
}

/// Adds file findings to the tree's: the files' `runs-as-root` detail goes onto the tree's
/// finding for the same manifest; the rest are added; then sorted. What is there already is
/// not added again, so a front end can merge what it learns each time it learns it.
pub fn merge_into(findings: &mut Vec<Finding>, from_files: Vec<Finding>) {
    for f in from_files {
        if findings.contains(&f) {
            continue;
        }
        let existing = findings.iter_mut().find(|g| {
            f.code == Code::RunsAsRoot && g.code == Code::RunsAsRoot && g.digest == f.digest
        });
        match existing {
            Some(g) if g.message.ends_with(&format!("; {}", f.message)) => {}
            Some(g) => g.message = format!("{}; {}", g.message, f.message),
            None if f.code == Code::RunsAsRoot => findings.push(Finding {
                message: format!("{} runs as root; {}", short(&f.digest), f.message),
                ..f
            }),
            None => findings.push(f),
        }
    }
    super::sort(findings);
}

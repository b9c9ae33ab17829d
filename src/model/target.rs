//! Deployment targets as a user names them (`--target`, the config file, the TUI's `t`):
//! the domain type, read and printed here, below the config file that names one. What a
//! target makes of an image is `analysis::target`.

use std::fmt;

use super::Platform;

/// Where the image is meant to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// AWS Lambda container images: one Linux image manifest, amd64 or arm64.
    Lambda { arch: String },
    /// A container host of this platform (`linux/amd64`, `linux/arm/v7`).
    Platform(Platform),
    /// Google Cloud Run: linux/amd64 only.
    CloudRun,
    /// AWS Fargate (ECS) on Linux, `amd64` (`X86_64`) or `arm64` (`ARM64`).
    Fargate { arch: String },
    /// AWS Fargate on Windows Server `release` (2019, 2022), whose image build must match.
    FargateWindows { release: String },
    /// Kubernetes nodes of every listed architecture (all Linux).
    Kubernetes { arches: Vec<String> },
}

/// The Windows Server build of a Fargate Windows release.
pub(crate) fn windows_build(release: &str) -> Option<&'static str> {
    match release {
        "2019" => Some("10.0.17763"),
        "2022" => Some("10.0.20348"),
        _ => None,
    }
}

/// Target names to offer (shell completion, suggestions); any `os/arch[/variant]` of known
/// names and any `k8s:ARCH,...` is a target too.
pub const NAMES: [&str; 12] = [
    "lambda",
    "lambda/arm64",
    "cloudrun",
    "fargate",
    "fargate/arm64",
    "fargate/windows-2019",
    "fargate/windows-2022",
    "k8s:amd64,arm64",
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "windows/amd64",
];

/// Operating systems an image platform names (Go's `GOOS`, as image indexes spell them).
pub const KNOWN_OS: [&str; 15] = [
    "linux",
    "windows",
    "darwin",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "aix",
    "plan9",
    "android",
    "ios",
    "js",
    "wasip1",
];

/// Architectures an image platform names (Go's `GOARCH`, as image indexes spell them).
pub const KNOWN_ARCHITECTURES: [&str; 14] = [
    "amd64", "arm64", "arm", "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips", "mipsle",
    "mips64", "mips64le", "loong64", "wasm",
];

/// The names other tools use for an architecture, and what images call it.
const ARCH_ALIASES: [(&str, &str); 7] = [
    ("x86_64", "amd64"),
    ("x86-64", "amd64"),
    ("aarch64", "arm64"),
    ("x86", "386"),
    ("i386", "386"),
    ("i686", "386"),
    ("armhf", "arm/v7"),
];

/// The variants an architecture has (`arm64` also takes `v8.N` and `v9.N`).
fn known_variants(architecture: &str) -> &'static [&'static str] {
    match architecture {
        "arm" => &["v5", "v6", "v7", "v8"],
        "arm64" => &["v8", "v9"],
        "amd64" => &["v1", "v2", "v3", "v4"],
        "riscv64" => &["rva20u64", "rva22u64"],
        _ => &[],
    }
}

/// Whether `variant` is one `architecture` has.
fn variant_known(architecture: &str, variant: &str) -> bool {
    let minor = |major: &str| {
        variant
            .strip_prefix(major)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    known_variants(architecture).contains(&variant)
        || (architecture == "arm64" && (minor("v8") || minor("v9")))
}

/// Refuses a platform whose os, architecture or variant is not one images use, naming the
/// known ones (and the likely one meant): `linux/arm65` would otherwise be accepted and
/// every image judged "not offered" with a fix that builds for `linux/arm65`.
pub fn check_platform(p: &Platform) -> Result<(), String> {
    let shown = crate::sanitize::sanitize(&p.to_string()).into_owned();
    if !KNOWN_OS.contains(&p.os.as_str()) {
        return Err(format!(
            "`{shown}`: unknown operating system `{}`{}; known: {}",
            crate::sanitize::sanitize(&p.os),
            meant(&p.os, KNOWN_OS),
            KNOWN_OS.join(", "),
        ));
    }
    check_architecture(&p.architecture).map_err(|e| format!("`{shown}`: {e}"))?;
    let Some(variant) = p.variant.as_deref() else {
        return Ok(());
    };
    if variant_known(&p.architecture, variant) {
        return Ok(());
    }
    let known = known_variants(&p.architecture);
    let listed = match p.architecture.as_str() {
        _ if known.is_empty() => format!("{} has no variants", p.architecture),
        "arm64" => "the variants of arm64: v8, v9 (or v8.N, v9.N)".to_string(),
        arch => format!("the variants of {arch}: {}", known.join(", ")),
    };
    Err(format!(
        "`{shown}`: unknown variant `{}`{}; {listed}",
        crate::sanitize::sanitize(variant),
        meant(variant, known.iter().copied()),
    ))
}

/// Refuses an architecture images do not use (`arm65`), with the known ones.
fn check_architecture(arch: &str) -> Result<(), String> {
    if KNOWN_ARCHITECTURES.contains(&arch) {
        return Ok(());
    }
    let hint = ARCH_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(arch))
        .map_or_else(
            || meant(arch, KNOWN_ARCHITECTURES),
            |(_, name)| format!(" (images call it `{name}`)"),
        );
    Err(format!(
        "unknown architecture `{}`{hint}; known: {}",
        crate::sanitize::sanitize(arch),
        KNOWN_ARCHITECTURES.join(", ")
    ))
}

/// ` (did you mean `arm64`?)` right after the unknown word, where a narrow prompt still shows
/// it; nothing when no known word is close.
fn meant<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    crate::suggest::closest(word, known)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

impl Target {
    /// Reads a target as typed (`--target`, the config file, the TUI's `t`); a typo is refused
    /// with the names it could have meant.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::parse_unchecked(s).map_err(|e| {
            let close = crate::suggest::closest(s, NAMES);
            match close {
                Some(name) if !e.contains("did you mean") && !e.contains("images call it") => {
                    format!(
                        "`{}` is not a target (did you mean `{name}`?); targets: {}, or os/arch[/variant]",
                        crate::sanitize::sanitize(s),
                        NAMES.join(", ")
                    )
                }
                _ => e,
            }
        })
    }

    fn parse_unchecked(s: &str) -> Result<Self, String> {
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
            "cloudrun" => Ok(Target::CloudRun),
            "fargate" | "fargate/amd64" | "fargate/x86_64" => Ok(Target::Fargate {
                arch: "amd64".into(),
            }),
            "fargate/arm64" => Ok(Target::Fargate {
                arch: "arm64".into(),
            }),
            other if other.starts_with("fargate/windows-") => {
                let release = other.trim_start_matches("fargate/windows-");
                windows_build(release)
                    .map(|_| Target::FargateWindows {
                        release: release.into(),
                    })
                    .ok_or_else(|| format!("`{}` is not a Fargate Windows target (fargate/windows-2019, fargate/windows-2022)", crate::sanitize::sanitize(other)))
            }
            other if other.starts_with("fargate") => Err(format!(
                "`{}` is not a Fargate target (fargate, fargate/arm64, fargate/windows-2019, fargate/windows-2022)",
                crate::sanitize::sanitize(other)
            )),
            other if other.starts_with("k8s:") => {
                let arches: Vec<String> = other[4..]
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect();
                if arches.is_empty() || arches.iter().any(|a| a.contains('/')) {
                    return Err(format!(
                        "`{}` is not a Kubernetes target: list architectures, e.g. k8s:amd64,arm64",
                        crate::sanitize::sanitize(other)
                    ));
                }
                for arch in &arches {
                    check_architecture(arch).map_err(|e| {
                        format!("`{}`: {e}", crate::sanitize::sanitize(other))
                    })?;
                }
                Ok(Target::Kubernetes { arches })
            }
            other => {
                let platform = Platform::parse(other)
                    .map_err(|e| format!("{e}; or use `lambda`, `lambda/arm64`, `cloudrun`, `fargate`, `fargate/arm64`, `fargate/windows-2022` or `k8s:amd64,arm64`"))?;
                check_platform(&platform)?;
                Ok(Target::Platform(platform))
            }
        }
    }

    /// The platform an image must be to run here (`linux/amd64` for `lambda`).
    #[must_use]
    pub fn platform(&self) -> Platform {
        match self {
            Target::Lambda { arch } | Target::Fargate { arch } => {
                Platform::new("linux", arch, None)
            }
            Target::Platform(p) => p.clone(),
            Target::CloudRun => Platform::new("linux", "amd64", None),
            Target::FargateWindows { .. } => Platform::new("windows", "amd64", None),
            // The first listed: the one a table cell and "fitting" speak of.
            Target::Kubernetes { arches } => Platform::new(
                "linux",
                arches.first().map_or("amd64", String::as_str),
                None,
            ),
        }
    }

    /// Every platform this target runs (Kubernetes: one per listed architecture).
    #[must_use]
    pub fn platforms(&self) -> Vec<Platform> {
        match self {
            Target::Kubernetes { arches } => arches
                .iter()
                .map(|a| Platform::new("linux", a, None))
                .collect(),
            _ => vec![self.platform()],
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Lambda { arch } => write!(f, "lambda/{arch}"),
            Target::Platform(p) => p.fmt(f),
            Target::CloudRun => f.write_str("cloudrun"),
            Target::Fargate { arch } if arch == "amd64" => f.write_str("fargate"),
            Target::Fargate { arch } => write!(f, "fargate/{arch}"),
            Target::FargateWindows { release } => write!(f, "fargate/windows-{release}"),
            Target::Kubernetes { arches } => write!(f, "k8s:{}", arches.join(",")),
        }
    }
}

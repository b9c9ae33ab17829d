//! The platform matrix of the tags view (`m`): which platforms each tag offers, which carry an
//! attestation, and where the index and the config disagree. Pure functions of resolved trees.

use std::cmp::Ordering;
use std::collections::HashSet;

use crate::analysis::Code;
use crate::model::{Kind, Node};
use crate::tui::action::Inspected;

/// What one tag has for one platform (a matrix cell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offer {
    /// A runnable manifest for the platform is there.
    pub offered: bool,
    /// An attestation manifest is about the platform's manifest.
    pub attested: bool,
    /// The index claims the platform but the config says another (a platform-mismatch finding).
    pub mismatch: bool,
    /// The index lists the platform but the registry no longer has the manifest.
    pub missing: bool,
}

impl Offer {
    /// A problem worth the error colour.
    #[must_use]
    pub fn is_problem(self) -> bool {
        self.mismatch || self.missing
    }
}

/// The platform a matrix column stands for: `linux/arm64/v8` and `linux/arm64` are one column.
#[must_use]
pub fn column_key(platform: &str) -> String {
    platform
        .strip_suffix("/v8")
        .filter(|p| p.ends_with("/arm64"))
        .unwrap_or(platform)
        .to_string()
}

/// Per platform (in first-seen order), what the resolved tree offers.
#[must_use]
pub fn offers(inspected: &Inspected) -> Vec<(String, Offer)> {
    let root = &inspected.root;
    let mismatched: HashSet<&str> = inspected
        .findings
        .iter()
        .filter(|f| f.code == Code::PlatformMismatch)
        .map(|f| f.digest.as_str())
        .collect();
    let mut out: Vec<(String, Offer)> = Vec::new();
    match root.kind {
        Kind::Index => {
            for child in &root.children {
                let Some(key) = child_platform(child) else {
                    continue;
                };
                match child.kind {
                    Kind::Manifest => {
                        let offer = cell(&mut out, key);
                        offer.offered = true;
                        offer.mismatch |= mismatched.contains(child.digest.as_str());
                    }
                    Kind::Missing => cell(&mut out, key).missing = true,
                    _ => {}
                }
            }
            for child in root.children.iter().filter(|c| c.kind == Kind::Attestation) {
                if let Some(key) = attested_platform(root, child) {
                    cell(&mut out, key).attested = true;
                }
            }
        }
        Kind::Manifest => {
            if let Some(config) = root.config_summary() {
                let offer = cell(&mut out, column_key(&config.platform_string()));
                offer.offered = true;
                offer.mismatch |= mismatched.contains(root.digest.as_str());
            }
        }
        _ => {}
    }
    out
}

/// The cell of `key`, added (empty) when it is new.
fn cell(out: &mut Vec<(String, Offer)>, key: String) -> &mut Offer {
    let i = if let Some(i) = out.iter().position(|(k, _)| *k == key) {
        i
    } else {
        out.push((key, Offer::default()));
        out.len() - 1
    };
    &mut out[i].1
}

/// A runnable (or deleted) index entry's platform; attestations and artifacts have none.
fn child_platform(child: &Node) -> Option<String> {
    let platform = child.platform.as_ref().filter(|p| !p.is_unknown())?;
    Some(column_key(&platform.to_string()))
}

/// The platform of the manifest an attestation is about: that entry's own descriptor when it is
/// in the index, else what the attestation itself says.
fn attested_platform(root: &Node, attestation: &Node) -> Option<String> {
    let attests = attestation.attests.as_ref()?;
    root.children
        .iter()
        .find(|c| c.digest == attests.digest && c.kind != Kind::Attestation)
        .and_then(child_platform)
        .or_else(|| {
            attests
                .platform
                .as_ref()
                .map(|p| column_key(&p.to_string()))
        })
}

/// The union of `platforms` in a stable order: linux/amd64, linux/arm64, then the rest sorted.
#[must_use]
pub fn columns<'a>(platforms: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in platforms {
        if !out.iter().any(|o| o == p) {
            out.push(p.to_string());
        }
    }
    out.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
    out
}

fn rank(platform: &str) -> Ordering {
    match platform {
        "linux/amd64" => Ordering::Less,
        "linux/arm64" => Ordering::Equal,
        _ => Ordering::Greater,
    }
}

/// How a column is headed: without `linux/` when every column is Linux (it fits 80 columns).
#[must_use]
pub fn column_labels(columns: &[String]) -> Vec<String> {
    let all_linux = columns.iter().all(|c| c.starts_with("linux/"));
    columns
        .iter()
        .map(|c| {
            if all_linux {
                c.trim_start_matches("linux/").to_string()
            } else {
                c.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_put_amd64_and_arm64_first_then_sort() {
        let got = columns(
            [
                "linux/s390x",
                "linux/arm64",
                "linux/arm/v7",
                "linux/amd64",
                "linux/arm64",
            ]
            .into_iter(),
        );
        assert_eq!(
            got,
            ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/s390x"]
        );
        assert_eq!(column_labels(&got), ["amd64", "arm64", "arm/v7", "s390x"]);
        let mixed = columns(["windows/amd64", "linux/amd64"].into_iter());
        assert_eq!(column_labels(&mixed), ["linux/amd64", "windows/amd64"]);
    }

    #[test]
    fn arm64_v8_is_arm64() {
        assert_eq!(column_key("linux/arm64/v8"), "linux/arm64");
        assert_eq!(column_key("linux/arm/v8"), "linux/arm/v8");
        assert_eq!(column_key("linux/amd64"), "linux/amd64");
    }
}

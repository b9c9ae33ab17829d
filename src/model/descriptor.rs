//! OCI descriptors and platforms, parsed leniently: registries hold what builders wrote.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A content descriptor (`mediaType`, `digest`, `size`, ...). The digest stays a string here:
/// a malformed one is something to report, not a reason to reject the whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default, deserialize_with = "null_default")]
    pub digest: String,
    #[serde(default, deserialize_with = "null_default")]
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub urls: Vec<String>,
}

/// `os/architecture[/variant]`, with Windows' `os.version` kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Deserialize, Serialize)]
pub struct Platform {
    #[serde(default, deserialize_with = "null_default")]
    pub architecture: String,
    #[serde(default, deserialize_with = "null_default")]
    pub os: String,
    #[serde(
        rename = "os.version",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub features: Vec<String>,
}

impl Platform {
    #[must_use]
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.filter(|v| !v.is_empty()).map(Into::into),
            ..Self::default()
        }
    }

    /// Parses `os/arch[/variant]` as given on a command line (`linux/arm/v7`, `linux/amd64`).
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self::new(os, arch, None)),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self::new(os, arch, Some(variant)))
            }
            _ => Err(format!(
                "`{}` is not a platform (expected os/arch[/variant], e.g. linux/amd64 or linux/arm/v7)",
                crate::sanitize::sanitize(s)
            )),
        }
    }

    /// `BuildKit`'s marker for entries that are not runnable images (attestations).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        self.os == "unknown" && self.architecture == "unknown"
    }

    /// Whether this platform satisfies `wanted` the way a container runtime picks an image:
    /// same os and architecture, and the variant when one is asked for (with the usual defaults:
    /// arm64 means v8, amd64 means v1).
    #[must_use]
    pub fn satisfies(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && match wanted.normalized_variant() {
                None => true,
                Some(v) => self.normalized_variant() == Some(v),
            }
    }

    /// The variant with implied defaults spelled out, so `linux/arm64` equals `linux/arm64/v8`.
    #[must_use]
    pub fn normalized_variant(&self) -> Option<&str> {
        match (self.architecture.as_str(), self.variant.as_deref()) {
            (_, Some(v)) if !v.is_empty() => Some(v),
            ("arm64", _) => Some("v8"),
            _ => None,
        }
    }

    /// Same os, architecture and (normalised) variant.
    #[must_use]
    pub fn same_as(&self, other: &Platform) -> bool {
        self.os == other.os
            && self.architecture == other.architecture
            && self.normalized_variant() == other.normalized_variant()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let os = if self.os.is_empty() { "?" } else { &self.os };
        let arch = if self.architecture.is_empty() {
            "?"
        } else {
            &self.architecture
        };
        write!(f, "{os}/{arch}")?;
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Treats an explicit JSON `null` like a missing field (containerd writes `"layers": null`).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_parse_display_and_match() {
        let p = Platform::parse("linux/arm/v7").expect("valid");
        assert_eq!(p.to_string(), "linux/arm/v7");
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("linux//v7").is_err());
        let arm64 = Platform::new("linux", "arm64", None);
        assert!(arm64.satisfies(&Platform::parse("linux/arm64/v8").expect("valid")));
        assert!(arm64.satisfies(&Platform::parse("linux/arm64").expect("valid")));
        assert!(!p.satisfies(&Platform::parse("linux/arm/v6").expect("valid")));
        assert!(p.satisfies(&Platform::parse("linux/arm").expect("valid")));
        assert!(Platform::new("unknown", "unknown", None).is_unknown());
    }
}

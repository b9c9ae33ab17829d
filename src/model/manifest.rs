//! Parsing manifest bodies (index, image manifest) leniently, with the media type taken from the body.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::descriptor::{null_default, Descriptor};
use super::media_type as mt;

/// A parsed manifest body.
#[allow(clippy::large_enum_variant)] // short-lived, one per fetch
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    Index(Index),
    Image(ImageManifest),
}

/// An OCI image index or a Docker manifest list.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    #[serde(default)]
    pub schema_version: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub manifests: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest (also artifacts) or a Docker v2 schema 2 manifest.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    #[serde(default)]
    pub schema_version: Option<i64>,
    #[serde(default, deserialize_with = "null_default")]
    pub media_type: String,
    #[serde(default)]
    pub artifact_type: Option<String>,
    #[serde(default)]
    pub config: Option<Descriptor>,
    /// `null` in some containerd exports; registries accept it, so do we.
    #[serde(default, deserialize_with = "null_default")]
    pub layers: Vec<Descriptor>,
    /// OCI artifact manifests (the short-lived 1.1 RC format) call them `blobs`.
    #[serde(default, deserialize_with = "null_default")]
    pub blobs: Vec<Descriptor>,
    #[serde(default)]
    pub subject: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_default")]
    pub annotations: BTreeMap<String, String>,
}

/// Why a manifest body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("the manifest is not valid JSON ({0})")]
    NotJson(String),
    #[error("the manifest is not a JSON object")]
    NotObject,
    #[error("Docker schema 1 manifests are deprecated and not supported; re-push the image with a current client")]
    SchemaV1,
    #[error("unsupported manifest media type `{0}`")]
    Unsupported(String),
    #[error("the manifest does not match its media type `{media_type}` ({detail})")]
    Shape { media_type: String, detail: String },
}

impl Manifest {
    /// Parses a manifest body. The media type comes from the body's `mediaType`; when the body has
    /// none (allowed by OCI) the `Content-Type` the registry sent is used, then the body's shape.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Self, ManifestError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::NotJson(e.to_string()))?;
        let obj = value.as_object().ok_or(ManifestError::NotObject)?;
        if obj.get("schemaVersion").and_then(serde_json::Value::as_i64) == Some(1) {
            return Err(ManifestError::SchemaV1);
        }
        let body_type = obj.get("mediaType").and_then(|v| v.as_str()).unwrap_or("");
        let header_type = content_type
            .map(|c| c.split(';').next().unwrap_or("").trim())
            .filter(|c| mt::is_index(c) || mt::is_image_manifest(c));
        let media_type = if body_type.is_empty() {
            match header_type {
                Some(h) => h.to_string(),
                None if obj.contains_key("manifests") => mt::OCI_INDEX.to_string(),
                None if obj.contains_key("config") || obj.contains_key("layers") => {
                    mt::OCI_MANIFEST.to_string()
                }
                None => String::new(),
            }
        } else {
            body_type.to_string()
        };
        let shape = |e: serde_json::Error| ManifestError::Shape {
            media_type: media_type.clone(),
            detail: e.to_string(),
        };
        if mt::is_index(&media_type) {
            let mut index: Index = serde_json::from_value(value.clone()).map_err(shape)?;
            index.media_type = media_type;
            Ok(Manifest::Index(index))
        } else if mt::is_image_manifest(&media_type) {
            let mut m: ImageManifest = serde_json::from_value(value.clone()).map_err(shape)?;
            m.media_type = media_type;
            Ok(Manifest::Image(m))
        } else if media_type.is_empty() {
            Err(ManifestError::Unsupported("(none)".into()))
        } else {
            Err(ManifestError::Unsupported(media_type))
        }
    }

    #[must_use]
    pub fn media_type(&self) -> &str {
        match self {
            Manifest::Index(i) => &i.media_type,
            Manifest::Image(m) => &m.media_type,
        }
    }

    #[must_use]
    pub fn subject(&self) -> Option<&Descriptor> {
        match self {
            Manifest::Index(i) => i.subject.as_ref(),
            Manifest::Image(m) => m.subject.as_ref(),
        }
    }

    #[must_use]
    pub fn artifact_type(&self) -> Option<&str> {
        match self {
            Manifest::Index(i) => i.artifact_type.as_deref(),
            Manifest::Image(m) => m.artifact_type.as_deref(),
        }
    }
}

impl ImageManifest {
    /// Layers, or an artifact manifest's blobs.
    #[must_use]
    pub fn all_layers(&self) -> &[Descriptor] {
        if self.layers.is_empty() {
            &self.blobs
        } else {
            &self.layers
        }
    }

    /// The artifact type as the referrers API defines it: `artifactType`, else the config's media type.
    #[must_use]
    pub fn effective_artifact_type(&self) -> Option<&str> {
        self.artifact_type
            .as_deref()
            .or_else(|| self.config.as_ref().map(|c| c.media_type.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_containerd_null_layers_and_media_type_fallbacks() {
        let body = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aa","size":2},"layers":null}"#;
        let Manifest::Image(m) = Manifest::parse(body, None).expect("parses") else {
            panic!("not an image manifest")
        };
        assert!(m.layers.is_empty());
        assert_eq!(m.media_type, mt::OCI_MANIFEST);
        let idx = br#"{"schemaVersion":2,"manifests":[]}"#;
        let m = Manifest::parse(
            idx,
            Some("application/vnd.docker.distribution.manifest.list.v2+json"),
        )
        .expect("parses");
        assert_eq!(m.media_type(), mt::DOCKER_LIST);
    }

    #[test]
    fn rejects_garbage_clearly() {
        assert!(matches!(
            Manifest::parse(b"nope", None),
            Err(ManifestError::NotJson(_))
        ));
        assert!(matches!(
            Manifest::parse(b"[1]", None),
            Err(ManifestError::NotObject)
        ));
        assert!(matches!(
            Manifest::parse(br#"{"schemaVersion":1}"#, None),
            Err(ManifestError::SchemaV1)
        ));
        assert!(matches!(
            Manifest::parse(
                br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":7}"#,
                None
            ),
            Err(ManifestError::Shape { .. })
        ));
        assert!(matches!(
            Manifest::parse(br#"{"mediaType":"text/plain"}"#, None),
            Err(ManifestError::Unsupported(_))
        ));
    }
}

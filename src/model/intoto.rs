//! Decoding in-toto statements (SLSA provenance, SPDX, `CycloneDX`) into summaries.

use std::collections::BTreeMap;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

pub use super::config::DecodeError;
use super::config::{keys, parse_object, scalar_string, string, strings};
use crate::sanitize::sanitize;

pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
pub const SPDX_DOCUMENT: &str = "https://spdx.dev/Document";
pub const CYCLONEDX_BOM: &str = "https://cyclonedx.org/bom";

/// `buildType` values `BuildKit` writes (v0.2 and v1), shown as plain "`BuildKit`".
const BUILDKIT_BUILD_TYPES: &[&str] = &[
    "https://mobyproject.org/buildkit@v1",
    "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
];
/// Where `BuildKit` keeps its own metadata (incl. `vcs`) inside SLSA v0.2 `metadata`.
const BUILDKIT_V02_METADATA: &str = "https://mobyproject.org/buildkit@v1#metadata";

/// One in-toto statement, whether stored plain or inside a DSSE envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementSummary {
    /// `_type`, e.g. `https://in-toto.io/Statement/v0.1` or `.../v1`.
    pub statement_type: String,
    pub predicate_type: String,
    pub subjects: Vec<Subject>,
    pub kind: PredicateKind,
    /// Set when the statement came wrapped in a DSSE envelope (signatures are not verified).
    pub signed: Option<Signing>,
}

/// What a statement is about: for `BuildKit`, the platform image manifest it was built with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub name: String,
    /// `algorithm:hex`, preferring sha256; empty when the subject lists no digest.
    pub digest: String,
}

/// A build input (SLSA v0.2 `materials`, v1 `resolvedDependencies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dependency {
    pub uri: String,
    /// `algorithm:hex`, preferring sha256; empty when none is given.
    pub digest: String,
}

/// The config that started the build: a Git/HTTP context (`uri` + `digest`) and/or the frontend
/// file (`entryPoint` in SLSA v0.2, `path` in v1).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigSource {
    pub uri: Option<String>,
    pub digest: Option<String>,
    pub entry_point: Option<String>,
}

/// `BuildKit`'s unverified VCS hint (`vcs:source` / `vcs:revision` sent by the client).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vcs {
    pub source: Option<String>,
    pub revision: Option<String>,
}

/// The DSSE envelope around a statement, as found; nothing here is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signing {
    pub payload_type: String,
    pub signature_count: usize,
    /// Non-empty `keyid`s, in envelope order.
    pub key_ids: Vec<String>,
}

/// The predicate, decoded as far as its type is understood.
// Provenance variants dwarf `Other`, but there are a handful of these per image: boxing them
// would only make matching clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PredicateKind {
    SlsaProvenance02 {
        builder_id: String,
        build_type: String,
        config_source: ConfigSource,
        /// `invocation.parameters.frontend`, e.g. `dockerfile.v0`.
        frontend: Option<String>,
        /// `invocation.parameters.args`: `BuildKit`'s `build-arg:FOO`, `label:X`, `target`,
        /// `source` (gateway image), `filename`, ...
        build_args: BTreeMap<String, String>,
        materials: Vec<Dependency>,
        /// `invocation.environment.platform`: the builder's, not necessarily the image's.
        builder_platform: Option<String>,
        invocation_id: Option<String>,
        started_on: Option<String>,
        finished_on: Option<String>,
        reproducible: Option<bool>,
        vcs: Option<Vcs>,
    },
    SlsaProvenance1 {
        builder_id: String,
        build_type: String,
        config_source: ConfigSource,
        /// `externalParameters.request.frontend`.
        frontend: Option<String>,
        /// `externalParameters.request.args`, same keys as v0.2's `invocation.parameters.args`.
        build_args: BTreeMap<String, String>,
        /// Top-level `externalParameters` keys, to hint at non-BuildKit shapes.
        external_parameters: Vec<String>,
        resolved_dependencies: Vec<Dependency>,
        /// `internalParameters.builderPlatform`.
        builder_platform: Option<String>,
        invocation_id: Option<String>,
        started_on: Option<String>,
        finished_on: Option<String>,
        /// `runDetails.metadata.buildkit_reproducible`.
        reproducible: Option<bool>,
        vcs: Option<Vcs>,
    },
    Spdx {
        spdx_version: Option<String>,
        name: Option<String>,
        package_count: usize,
        file_count: usize,
        creators: Vec<String>,
        created: Option<String>,
    },
    CycloneDx {
        spec_version: Option<String>,
        /// All components, including ones nested inside other components.
        component_count: usize,
    },
    Other {
        predicate_type: String,
    },
}

impl StatementSummary {
    /// A short description for a text tree, e.g. `SPDX SBOM, 12 packages`.
    #[must_use]
    pub fn one_line(&self) -> String {
        let mut line = self.kind.one_line();
        match &self.signed {
            Some(s) if s.signature_count == 0 => line.push_str(", in an unsigned DSSE envelope"),
            Some(s) => line.push_str(&format!(
                ", DSSE-signed ({})",
                plural(s.signature_count, "signature")
            )),
            None => {}
        }
        line
    }
}

impl PredicateKind {
    /// A short description of the predicate alone; registry-supplied text is sanitised.
    #[must_use]
    pub fn one_line(&self) -> String {
        match self {
            Self::SlsaProvenance02 {
                builder_id,
                build_type,
                config_source,
                materials,
                vcs,
                ..
            } => provenance_line(
                SLSA_PROVENANCE_V02,
                builder_id,
                build_type,
                config_source,
                vcs.as_ref(),
                materials,
                "material",
            ),
            Self::SlsaProvenance1 {
                builder_id,
                build_type,
                config_source,
                resolved_dependencies,
                vcs,
                ..
            } => provenance_line(
                SLSA_PROVENANCE_V1,
                builder_id,
                build_type,
                config_source,
                vcs.as_ref(),
                resolved_dependencies,
                "dependency",
            ),
            Self::Spdx {
                package_count,
                file_count,
                ..
            } => {
                let mut line = format!("SPDX SBOM, {}", plural(*package_count, "package"));
                if *file_count > 0 {
                    line.push_str(&format!(", {}", plural(*file_count, "file")));
                }
                line
            }
            Self::CycloneDx {
                spec_version,
                component_count,
            } => {
                let version = spec_version
                    .as_deref()
                    .map(|v| format!(" {}", sanitize(v)))
                    .unwrap_or_default();
                format!(
                    "CycloneDX{version} SBOM, {}",
                    plural(*component_count, "component")
                )
            }
            Self::Other { predicate_type } => match predicate_label(predicate_type) {
                Some(label) => label.to_owned(),
                None if predicate_type.is_empty() => {
                    "attestation without a predicate type".to_owned()
                }
                None => format!("attestation {}", sanitize(predicate_type)),
            },
        }
    }
}

fn provenance_line(
    predicate_type: &str,
    builder_id: &str,
    build_type: &str,
    source: &ConfigSource,
    vcs: Option<&Vcs>,
    inputs: &[Dependency],
    input_noun: &str,
) -> String {
    let mut parts = vec![predicate_label(predicate_type)
        .unwrap_or("SLSA provenance")
        .to_owned()];
    // BuildKit leaves `builder.id` empty unless told one, so the build type is the usual hint.
    if !builder_id.is_empty() {
        parts.push(format!("built by {}", sanitize(builder_id)));
    } else if BUILDKIT_BUILD_TYPES.contains(&build_type) {
        parts.push("built with BuildKit".to_owned());
    } else if !build_type.is_empty() {
        parts.push(format!("build type {}", sanitize(build_type)));
    }
    // The config source is verified by BuildKit; the VCS hint is only what the client claimed.
    if let Some(uri) = &source.uri {
        parts.push(format!("source {}", sanitize(uri)));
    } else if let Some(Vcs {
        source: Some(src),
        revision,
    }) = vcs
    {
        let rev = revision
            .as_deref()
            .map(|r| format!("@{}", sanitize(r.get(..12).unwrap_or(r))))
            .unwrap_or_default();
        parts.push(format!("source {}{rev} (unverified)", sanitize(src)));
    }
    parts.push(plural(inputs.len(), input_noun));
    parts.join(", ")
}

fn plural(n: usize, noun: &str) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "dependency") => format!("{n} dependencies"),
        _ => format!("{n} {noun}s"),
    }
}

/// The short label of a well-known predicate type, `None` for ones we do not know.
#[must_use]
pub fn predicate_label(predicate_type: &str) -> Option<&'static str> {
    let t = predicate_type.trim().trim_end_matches('/');
    let label = match t {
        "https://slsa.dev/provenance/v0.1" => "SLSA provenance v0.1",
        SLSA_PROVENANCE_V02 => "SLSA provenance v0.2",
        t if is_slsa_v1(t) => "SLSA provenance v1",
        t if versioned(t, "https://slsa.dev/verification_summary") => "SLSA verification summary",
        t if versioned(t, SPDX_DOCUMENT) => "SPDX SBOM",
        t if versioned(t, CYCLONEDX_BOM) => "CycloneDX SBOM",
        t if versioned(t, "https://in-toto.io/attestation/vulns") => "vulnerability scan",
        "https://cosign.sigstore.dev/attestation/vuln/v1" => "vulnerability scan (cosign)",
        t if versioned(t, "https://openvex.dev/ns") => "OpenVEX",
        t if versioned(t, "https://in-toto.io/attestation/test-result") => "test result",
        t if versioned(t, "https://in-toto.io/attestation/link") => "in-toto link",
        t if versioned(t, "https://in-toto.io/attestation/release") => "release",
        t if versioned(t, "https://in-toto.io/attestation/runtime-trace") => "runtime trace",
        t if versioned(t, "https://in-toto.io/attestation/scai/attribute-report") => {
            "SCAI attribute report"
        }
        "https://cosign.sigstore.dev/attestation/v1" => "cosign custom predicate",
        _ => return None,
    };
    Some(label)
}

/// `base` itself or `base/v…` (`https://spdx.dev/Document/v2.3`), but not `baseSomething`.
fn versioned(t: &str, base: &str) -> bool {
    t.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("/v"))
}

/// SLSA v1.x keeps the `v1` predicate type, but `v1.0`/`v1.1` show up in the wild too.
fn is_slsa_v1(t: &str) -> bool {
    t.strip_prefix(SLSA_PROVENANCE_V1)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Decodes an in-toto statement, plain or wrapped in a DSSE envelope.
///
/// # Errors
/// When the bytes (or an envelope's payload) are not a JSON object, the payload is not base64,
/// or the object looks like neither a statement nor an envelope. Missing or oddly typed fields
/// inside a statement are not errors.
pub fn summarize_statement(bytes: &[u8]) -> Result<StatementSummary, DecodeError> {
    let root = parse_object(bytes)?;
    let Some(payload) = root.get("payload").and_then(Value::as_str) else {
        return statement(root);
    };
    let payload = decode_base64(payload).ok_or(DecodeError::PayloadBase64)?;
    let inner = parse_object(&payload).map_err(|e| DecodeError::Payload(payload_problem(e)))?;
    let mut summary = statement(inner)?;
    let signatures = root
        .get("signatures")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    summary.signed = Some(Signing {
        payload_type: root
            .get("payloadType")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        signature_count: signatures.len(),
        key_ids: signatures
            .iter()
            .filter_map(|s| string(s, "keyid"))
            .collect(),
    });
    Ok(summary)
}

/// DSSE says standard base64, but URL-safe and unpadded variants are cheap to accept.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(s).ok())
}

fn payload_problem(e: DecodeError) -> String {
    match e {
        DecodeError::Json(detail) => detail,
        DecodeError::NotAnObject { found } => format!("it is {found}"),
        other => other.to_string(),
    }
}

fn statement(root: Map<String, Value>) -> Result<StatementSummary, DecodeError> {
    // Without any statement field this is some other JSON object mislabelled as in-toto.
    if !["_type", "predicateType", "subject", "predicate"]
        .iter()
        .any(|k| root.contains_key(*k))
    {
        return Err(DecodeError::NotAStatement);
    }
    let root = Value::Object(root);
    let predicate_type = root
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let subjects = array(root.get("subject"))
        .iter()
        .map(|s| Subject {
            name: str_or_empty(s, "name"),
            digest: digest(s.get("digest")).unwrap_or_default(),
        })
        .collect();
    let predicate = root.get("predicate").unwrap_or(&Value::Null);
    let t = predicate_type.trim().trim_end_matches('/');
    let kind = if t == SLSA_PROVENANCE_V02 {
        slsa_v02(predicate)
    } else if is_slsa_v1(t) {
        slsa_v1(predicate)
    } else if versioned(t, SPDX_DOCUMENT) {
        spdx(predicate)
    } else if versioned(t, CYCLONEDX_BOM) {
        PredicateKind::CycloneDx {
            spec_version: string(predicate, "specVersion"),
            component_count: count_components(predicate),
        }
    } else {
        PredicateKind::Other {
            predicate_type: predicate_type.clone(),
        }
    };
    Ok(StatementSummary {
        statement_type: str_or_empty(&root, "_type"),
        predicate_type,
        subjects,
        kind,
        signed: None,
    })
}

fn slsa_v02(p: &Value) -> PredicateKind {
    let null = &Value::Null;
    let invocation = p.get("invocation").unwrap_or(null);
    let source = invocation.get("configSource").unwrap_or(null);
    let parameters = invocation.get("parameters").unwrap_or(null);
    let metadata = p.get("metadata").unwrap_or(null);
    PredicateKind::SlsaProvenance02 {
        builder_id: p
            .get("builder")
            .map(|b| str_or_empty(b, "id"))
            .unwrap_or_default(),
        build_type: str_or_empty(p, "buildType"),
        config_source: ConfigSource {
            uri: string(source, "uri"),
            digest: digest(source.get("digest")),
            entry_point: string(source, "entryPoint"),
        },
        frontend: string(parameters, "frontend"),
        build_args: scalar_map(parameters.get("args")),
        materials: dependencies(p.get("materials")),
        builder_platform: invocation
            .get("environment")
            .and_then(|e| string(e, "platform")),
        invocation_id: string(metadata, "buildInvocationID"),
        started_on: string(metadata, "buildStartedOn"),
        finished_on: string(metadata, "buildFinishedOn"),
        reproducible: metadata.get("reproducible").and_then(Value::as_bool),
        vcs: vcs(metadata.get(BUILDKIT_V02_METADATA)),
    }
}

fn slsa_v1(p: &Value) -> PredicateKind {
    let null = &Value::Null;
    let definition = p.get("buildDefinition").unwrap_or(null);
    let external = definition.get("externalParameters").unwrap_or(null);
    let source = external.get("configSource").unwrap_or(null);
    let request = external.get("request").unwrap_or(null);
    let run = p.get("runDetails").unwrap_or(null);
    let metadata = run.get("metadata").unwrap_or(null);
    PredicateKind::SlsaProvenance1 {
        builder_id: run
            .get("builder")
            .map(|b| str_or_empty(b, "id"))
            .unwrap_or_default(),
        build_type: str_or_empty(definition, "buildType"),
        config_source: ConfigSource {
            uri: string(source, "uri"),
            digest: digest(source.get("digest")),
            entry_point: string(source, "path"),
        },
        frontend: string(request, "frontend"),
        build_args: scalar_map(request.get("args")),
        external_parameters: keys(Some(external)),
        resolved_dependencies: dependencies(definition.get("resolvedDependencies")),
        builder_platform: definition
            .get("internalParameters")
            .and_then(|i| string(i, "builderPlatform")),
        // The spec spells it `invocationId`; BuildKit writes `invocationID`.
        invocation_id: string(metadata, "invocationId")
            .or_else(|| string(metadata, "invocationID")),
        started_on: string(metadata, "startedOn"),
        finished_on: string(metadata, "finishedOn"),
        reproducible: metadata
            .get("buildkit_reproducible")
            .and_then(Value::as_bool),
        vcs: vcs(metadata.get("buildkit_metadata")),
    }
}

fn spdx(p: &Value) -> PredicateKind {
    let creation = p.get("creationInfo").unwrap_or(&Value::Null);
    PredicateKind::Spdx {
        spdx_version: string(p, "spdxVersion"),
        name: string(p, "name"),
        package_count: array(p.get("packages")).len(),
        file_count: array(p.get("files")).len(),
        creators: strings(creation.get("creators")),
        created: string(creation, "created"),
    }
}

/// Counts `components` and their nested `components` with an explicit stack, so a deep BOM
/// cannot exhaust the call stack.
pub(crate) fn count_components(bom: &Value) -> usize {
    let mut stack = vec![bom];
    let mut count = 0;
    while let Some(node) = stack.pop() {
        let children = array(node.get("components"));
        count += children.len();
        stack.extend(children);
    }
    count
}

fn vcs(buildkit_metadata: Option<&Value>) -> Option<Vcs> {
    let vcs = buildkit_metadata?.get("vcs")?;
    let (source, revision) = (string(vcs, "source"), string(vcs, "revision"));
    (source.is_some() || revision.is_some()).then_some(Vcs { source, revision })
}

/// SLSA v0.2 `materials` / v1 `resolvedDependencies`; v1 descriptors may carry only a `name`.
fn dependencies(v: Option<&Value>) -> Vec<Dependency> {
    array(v)
        .iter()
        .filter(|d| d.is_object())
        .map(|d| Dependency {
            uri: string(d, "uri")
                .or_else(|| string(d, "name"))
                .unwrap_or_default(),
            digest: digest(d.get("digest")).unwrap_or_default(),
        })
        .collect()
}

/// A `DigestSet` as `algorithm:hex`, preferring sha256, then the first string entry.
fn digest(v: Option<&Value>) -> Option<String> {
    let set = v?.as_object()?;
    let sha256 = set
        .get("sha256")
        .and_then(Value::as_str)
        .map(|h| ("sha256", h));
    let (alg, hex) = sha256.or_else(|| {
        set.iter()
            .find_map(|(k, v)| v.as_str().map(|h| (k.as_str(), h)))
    })?;
    Some(format!("{alg}:{hex}"))
}

fn scalar_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| scalar_string(v).map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default()
}

fn array(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn str_or_empty(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: &Value) -> Result<StatementSummary, DecodeError> {
        summarize_statement(v.to_string().as_bytes())
    }

    #[test]
    fn labels_for_known_predicate_types() {
        let known = predicate_label;
        assert_eq!(
            known("https://slsa.dev/provenance/v0.2"),
            Some("SLSA provenance v0.2")
        );
        assert_eq!(
            known("https://slsa.dev/provenance/v1"),
            Some("SLSA provenance v1")
        );
        assert_eq!(known("https://spdx.dev/Document"), Some("SPDX SBOM"));
        assert_eq!(known("https://spdx.dev/Document/v2.3"), Some("SPDX SBOM"));
        assert_eq!(
            known("https://cyclonedx.org/bom/v1.5"),
            Some("CycloneDX SBOM")
        );
        assert_eq!(
            known("https://in-toto.io/attestation/vulns/v0.1"),
            Some("vulnerability scan")
        );
        assert_eq!(known("https://openvex.dev/ns/v0.2.0"), Some("OpenVEX"));
        assert_eq!(known("https://spdx.dev/Documentary"), None);
        assert_eq!(known("https://slsa.dev/provenance/v10"), None);
        assert_eq!(known("https://example.com/custom"), None);
    }

    #[test]
    fn wrong_types_inside_a_statement_are_tolerated() {
        let s = decode(&json!({
            "_type": 1, "predicateType": SLSA_PROVENANCE_V02, "subject": {"name": "x"},
            "predicate": {"builder": "x", "buildType": [], "invocation": [], "materials": [1, {"uri": 2}],
                          "metadata": {"reproducible": "yes", "https://mobyproject.org/buildkit@v1#metadata": 3}}
        }))
        .expect("tolerated");
        assert_eq!(s.statement_type, "");
        assert!(s.subjects.is_empty());
        let PredicateKind::SlsaProvenance02 {
            builder_id,
            materials,
            reproducible,
            vcs,
            ..
        } = &s.kind
        else {
            panic!("expected v0.2, got {:?}", s.kind);
        };
        assert_eq!(
            (builder_id.as_str(), materials.len(), *reproducible, vcs),
            ("", 1, None, &None)
        );
        assert_eq!(s.one_line(), "SLSA provenance v0.2, 1 material");

        let s = decode(&json!({"predicateType": SPDX_DOCUMENT, "predicate": "nope"}))
            .expect("tolerated");
        assert_eq!(s.one_line(), "SPDX SBOM, 0 packages");
        let s = decode(&json!({"predicateType": SLSA_PROVENANCE_V1, "predicate": null}))
            .expect("tolerated");
        assert_eq!(s.one_line(), "SLSA provenance v1, 0 dependencies");
    }

    #[test]
    fn rejects_what_is_not_a_statement() {
        assert!(matches!(
            summarize_statement(b"{"),
            Err(DecodeError::Json(_))
        ));
        assert_eq!(
            summarize_statement(b"[1]"),
            Err(DecodeError::NotAnObject { found: "an array" })
        );
        assert_eq!(summarize_statement(b"{}"), Err(DecodeError::NotAStatement));
        assert_eq!(
            summarize_statement(br#"{"mediaType":"x"}"#),
            Err(DecodeError::NotAStatement)
        );
        assert_eq!(
            decode(&json!({"payload": "!!!"})),
            Err(DecodeError::PayloadBase64)
        );
        let not_json = STANDARD.encode("hello");
        assert!(matches!(
            decode(&json!({"payload": not_json})),
            Err(DecodeError::Payload(_))
        ));
        let array = STANDARD.encode("[]");
        assert_eq!(
            decode(&json!({"payload": array})),
            Err(DecodeError::Payload("it is an array".into()))
        );
        let empty = STANDARD.encode("{}");
        assert_eq!(
            decode(&json!({"payload": empty})),
            Err(DecodeError::NotAStatement)
        );
    }

    #[test]
    fn one_line_sanitises_registry_text() {
        let s = decode(&json!({
            "predicateType": SLSA_PROVENANCE_V02,
            "predicate": {"builder": {"id": "evil\u{1b}[2J"}, "invocation": {"configSource": {"uri": "a\nb"}}}
        }))
        .expect("ok");
        assert_eq!(
            s.one_line(),
            "SLSA provenance v0.2, built by evil\\u{1b}[2J, source a\\nb, 0 materials"
        );
        let s = decode(&json!({"predicateType": "x\u{7}"})).expect("ok");
        assert_eq!(s.one_line(), "attestation x\\u{7}");
    }

    #[test]
    fn unpadded_and_url_safe_payloads_decode() {
        let body = json!({"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://openvex.dev/ns/v0.2.0"});
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let s = decode(&json!({"payload": engine.encode(body.to_string()), "signatures": []}))
                .expect("ok");
            assert_eq!(s.one_line(), "OpenVEX, in an unsigned DSSE envelope");
        }
    }
}

//! Decoded attachment payloads that are not in-toto statements: cosign and Sigstore
//! signatures, notation signatures, SBOM documents. Read, never verified.

use serde::Serialize;

/// A Sigstore bundle's `content` when it signs the image itself, not an attestation.
pub const BUNDLE_MESSAGE_SIGNATURE: &str = "message signature";

/// Who a signing certificate names (Fulcio: the identity and the OIDC issuer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signer {
    /// The certificate's subject alternative name (an e-mail, a workflow URI), else its subject.
    pub identity: Option<String>,
    /// The OIDC issuer Fulcio recorded (`https://token.actions.githubusercontent.com`).
    pub issuer: Option<String>,
}

/// A decoded attachment layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Payload {
    /// cosign's simple-signing payload (`.sig` tags, cosign signature artifacts).
    #[serde(rename_all = "camelCase")]
    CosignSignature {
        /// `critical.image.docker-manifest-digest`: what was signed.
        signed_digest: Option<String>,
        docker_reference: Option<String>,
        signer: Option<Signer>,
        rekor_log_index: Option<i64>,
    },
    /// A Sigstore bundle (cosign v3).
    #[serde(rename_all = "camelCase")]
    SigstoreBundle {
        /// `message signature`, or the DSSE envelope's predicate type.
        content: String,
        signer: Option<Signer>,
        rekor_log_index: Option<i64>,
    },
    /// A notation signature envelope (JWS or COSE).
    #[serde(rename_all = "camelCase")]
    Notation {
        envelope: String,
        signer: Option<Signer>,
    },
    /// An SPDX or `CycloneDX` document.
    #[serde(rename_all = "camelCase")]
    Sbom {
        /// `SPDX-2.3`, `CycloneDX 1.5`.
        format: String,
        package_count: usize,
        generator: Option<String>,
    },
}

impl Payload {
    /// A short description for a tree row or a list, safe to print: the strings in it came from
    /// the registry (a certificate's identity, an SBOM's format), and may hold escape sequences.
    #[must_use]
    pub fn one_line(&self) -> String {
        crate::sanitize::sanitize(&self.describe()).into_owned()
    }

    fn describe(&self) -> String {
        match self {
            Payload::CosignSignature {
                signer,
                rekor_log_index,
                ..
            } => format!(
                "cosign signature{}{}",
                signer_text(signer.as_ref()),
                rekor_text(*rekor_log_index)
            ),
            Payload::SigstoreBundle {
                content,
                signer,
                rekor_log_index,
            } => format!(
                "Sigstore bundle ({content}){}{}",
                signer_text(signer.as_ref()),
                rekor_text(*rekor_log_index)
            ),
            Payload::Notation { envelope, signer } => {
                format!(
                    "notation signature ({envelope}){}",
                    signer_text(signer.as_ref())
                )
            }
            Payload::Sbom {
                format,
                package_count,
                generator,
            } => format!(
                "{format} SBOM, {package_count} package{}{}",
                if *package_count == 1 { "" } else { "s" },
                generator
                    .as_ref()
                    .map(|g| format!(", by {g}"))
                    .unwrap_or_default()
            ),
        }
    }
}

fn signer_text(signer: Option<&Signer>) -> String {
    let Some(s) = signer else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(id) = &s.identity {
        out.push_str(&format!(", signer {id}"));
    }
    if let Some(issuer) = &s.issuer {
        out.push_str(&format!(" (issuer {issuer})"));
    }
    out
}

fn rekor_text(index: Option<i64>) -> String {
    index
        .map(|i| format!(", Rekor log index {i}"))
        .unwrap_or_default()
}

/// cosign's annotation on a signature layer holding the Fulcio certificate (PEM).
pub const COSIGN_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
/// cosign's annotation holding the Rekor bundle (`Payload.logIndex`).
pub const COSIGN_BUNDLE: &str = "dev.sigstore.cosign/bundle";
/// Fulcio's OIDC issuer extension: v1 holds the raw string, v2 a DER `UTF8String`.
const FULCIO_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const FULCIO_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Fulcio's source repository URI and ref (v2), and GitHub's workflow repository and ref (v1).
const FULCIO_REPOSITORY_V1: &str = "1.3.6.1.4.1.57264.1.5";
const FULCIO_REF_V1: &str = "1.3.6.1.4.1.57264.1.6";
const FULCIO_REPOSITORY_V2: &str = "1.3.6.1.4.1.57264.1.12";
const FULCIO_REF_V2: &str = "1.3.6.1.4.1.57264.1.14";
/// Certificates larger than this are not parsed (real ones are 1–3 KiB).
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// Strings kept from a certificate or payload at most, in characters.
const MAX_TEXT: usize = 256;

/// Decodes a layer of an attachment by its media type; `None` for what regscope does not read.
/// Never fails loudly: garbage decodes to `None` or to a payload with fewer facts.
#[must_use]
pub fn decode(
    media_type: &str,
    annotations: &std::collections::BTreeMap<String, String>,
    bytes: &[u8],
) -> Option<Payload> {
    let json = || serde_json::from_slice::<serde_json::Value>(bytes).ok();
    if media_type == "application/vnd.dev.cosign.simplesigning.v1+json" {
        let v = json();
        let critical = v.as_ref().and_then(|v| v.get("critical"));
        let text = |path: &[&str]| {
            let mut at = critical?;
            for key in path {
                at = at.get(*key)?;
            }
            at.as_str().map(bounded)
        };
        return Some(Payload::CosignSignature {
            signed_digest: text(&["image", "docker-manifest-digest"]),
            docker_reference: text(&["identity", "docker-reference"]),
            signer: annotations
                .get(COSIGN_CERTIFICATE)
                .and_then(|pem| signer_from_pem(pem.as_bytes())),
            rekor_log_index: annotations
                .get(COSIGN_BUNDLE)
                .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                .and_then(|b| b.get("Payload")?.get("logIndex")?.as_i64()),
        });
    }
    if media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return json().map(|v| sigstore_bundle(&v));
    }
    if media_type == "application/jose+json" {
        let signer = json().and_then(|v| {
            let leaf = v.get("header")?.get("x5c")?.as_array()?.first()?.as_str()?;
            signer_from_der(&super::intoto::decode_base64(leaf)?)
        });
        return Some(Payload::Notation {
            envelope: "JWS".into(),
            signer,
        });
    }
    if media_type == "application/cose" {
        return Some(Payload::Notation {
            envelope: "COSE".into(),
            signer: cose_leaf(bytes).and_then(signer_from_der),
        });
    }
    if media_type.starts_with("application/spdx+json") {
        let v = json()?;
        let creators = v
            .get("creationInfo")
            .and_then(|c| c.get("creators"))
            .and_then(serde_json::Value::as_array);
        let generator = creators.and_then(|list| {
            list.iter()
                .filter_map(serde_json::Value::as_str)
                .find_map(|c| c.strip_prefix("Tool:"))
                .map(|t| bounded(t.trim()))
        });
        return Some(Payload::Sbom {
            format: v
                .get("spdxVersion")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| "SPDX".into(), bounded),
            package_count: v
                .get("packages")
                .and_then(serde_json::Value::as_array)
                .map_or(0, Vec::len),
            generator,
        });
    }
    if media_type.starts_with("application/vnd.cyclonedx+json") {
        let v = json()?;
        let version = v.get("specVersion").and_then(serde_json::Value::as_str);
        return Some(Payload::Sbom {
            format: version.map_or_else(
                || "CycloneDX".into(),
                |s| bounded(&format!("CycloneDX {s}")),
            ),
            package_count: super::intoto::count_components(&v),
            generator: cyclonedx_tool(&v),
        });
    }
    None
}

/// `metadata.tools`: an array of tools (1.4) or `{components: [...]}` (1.5+).
fn cyclonedx_tool(v: &serde_json::Value) -> Option<String> {
    let tools = v.get("metadata")?.get("tools")?;
    let list = tools
        .as_array()
        .or_else(|| tools.get("components")?.as_array())?;
    let tool = list.first()?;
    let name = tool.get("name")?.as_str()?;
    Some(bounded(
        &match tool.get("version").and_then(serde_json::Value::as_str) {
            Some(version) => format!("{name} {version}"),
            None => name.to_string(),
        },
    ))
}

fn sigstore_bundle(v: &serde_json::Value) -> Payload {
    let material = v.get("verificationMaterial");
    let cert = material.and_then(|m| {
        m.get("certificate")
            .or_else(|| m.get("x509CertificateChain")?.get("certificates")?.get(0))?
            .get("rawBytes")?
            .as_str()
    });
    let signer = cert
        .and_then(super::intoto::decode_base64)
        .and_then(|der| signer_from_der(&der));
    // protobuf JSON writes int64 as a string.
    let rekor_log_index = material
        .and_then(|m| m.get("tlogEntries")?.get(0)?.get("logIndex"))
        .and_then(|i| i.as_i64().or_else(|| i.as_str()?.parse().ok()));
    let content = if let Some(envelope) = v.get("dsseEnvelope") {
        envelope
            .get("payload")
            .and_then(serde_json::Value::as_str)
            .and_then(super::intoto::decode_base64)
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
            .and_then(|s| s.get("predicateType")?.as_str().map(bounded))
            .unwrap_or_else(|| "DSSE envelope".into())
    } else {
        BUNDLE_MESSAGE_SIGNATURE.to_string()
    };
    Payload::SigstoreBundle {
        content,
        signer,
        rekor_log_index,
    }
}

/// The leaf certificate of a COSE notation envelope (`COSE_Sign1_Tagged`): the first of the
/// unprotected header's `x5chain` (label 33). Read, not verified: `verify::cose` checks it.
fn cose_leaf(bytes: &[u8]) -> Option<&[u8]> {
    use super::cbor::{decode, Value};
    let Value::Tag(18, message) = decode(bytes).ok()? else {
        return None;
    };
    let Value::Array(parts) = *message else {
        return None;
    };
    let Some(Value::Map(unprotected)) = parts.into_iter().nth(1) else {
        return None;
    };
    let (_, chain) = unprotected
        .into_iter()
        .find(|(k, _)| k.as_i64() == Some(33))?;
    let Value::Array(certs) = chain else {
        return None;
    };
    match certs.into_iter().next()? {
        Value::Bytes(leaf) => Some(leaf),
        _ => None,
    }
}

/// The signer a PEM certificate names; `None` for anything that is not one.
#[must_use]
pub fn signer_from_pem(pem: &[u8]) -> Option<Signer> {
    if pem.len() > MAX_CERTIFICATE_BYTES {
        return None;
    }
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    signer_from_der(&pem.contents)
}

/// The signer a DER certificate names: its e-mail or URI SAN (Fulcio puts the identity there),
/// else its subject; and Fulcio's OIDC issuer extension.
#[must_use]
pub fn signer_from_der(der: &[u8]) -> Option<Signer> {
    use x509_parser::prelude::{FromDer as _, GeneralName, X509Certificate};
    if der.len() > MAX_CERTIFICATE_BYTES {
        return None;
    }
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let san = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|ext| {
            ext.value.general_names.iter().find_map(|n| match n {
                GeneralName::RFC822Name(s) | GeneralName::URI(s) => Some(bounded(s)),
                _ => None,
            })
        });
    let subject = cert.subject().to_string();
    let identity = san.or_else(|| (!subject.is_empty()).then(|| bounded(&subject)));
    let issuer = fulcio_issuer(&cert);
    Some(Signer { identity, issuer })
}

/// The OIDC issuer of a Fulcio certificate (not sanitised). cosign reads `.1.8` first and
/// falls back on the deprecated `.1.1`, whatever their order in the certificate; a `.1.1` some
/// issuers wrap in a DER `UTF8String` is unwrapped.
#[must_use]
pub fn fulcio_issuer(cert: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    fulcio_extension(cert, FULCIO_ISSUER_V2, FULCIO_ISSUER_V1)
}

/// A CI certificate's source repository and ref, as Fulcio records them (not sanitised):
/// `.1.12` and `.1.14` (DER `UTF8String`s), else GitHub's deprecated `.1.5` and `.1.6`.
#[must_use]
pub fn fulcio_source(
    cert: &x509_parser::certificate::X509Certificate<'_>,
) -> (Option<String>, Option<String>) {
    (
        fulcio_extension(cert, FULCIO_REPOSITORY_V2, FULCIO_REPOSITORY_V1),
        fulcio_extension(cert, FULCIO_REF_V2, FULCIO_REF_V1),
    )
}

/// The text of Fulcio's extension `v2` (a DER `UTF8String`), else of its deprecated `v1` (raw,
/// or wrapped as some issuers do), within [`MAX_TEXT`].
fn fulcio_extension(
    cert: &x509_parser::certificate::X509Certificate<'_>,
    v2: &str,
    v1: &str,
) -> Option<String> {
    let extension = |oid: &str| {
        cert.extensions()
            .iter()
            .find(|ext| ext.oid.to_id_string() == oid)
            .map(|ext| ext.value)
    };
    extension(v2).and_then(der_utf8).or_else(|| {
        extension(v1).and_then(|v| der_utf8(v).or_else(|| std::str::from_utf8(v).ok().map(bounded)))
    })
}

/// A DER `UTF8String` (tag 12) with a short or long length.
fn der_utf8(bytes: &[u8]) -> Option<String> {
    let (&tag, rest) = bytes.split_first()?;
    if tag != 0x0c {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    std::str::from_utf8(rest.get(..len)?).ok().map(bounded)
}

/// `s` cut to [`MAX_TEXT`] characters: a hostile certificate or payload cannot fill a screen.
fn bounded(s: &str) -> String {
    if s.chars().count() <= MAX_TEXT {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX_TEXT).collect();
        out.push('…');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn garbage_never_panics_and_decodes_to_little() {
        let none = BTreeMap::new();
        for bytes in [&b""[..], b"\xff\x00", b"[]", b"{\"critical\":7}", b"null"] {
            for mt in [
                "application/vnd.dev.cosign.simplesigning.v1+json",
                "application/vnd.dev.sigstore.bundle.v0.3+json",
                "application/jose+json",
                "application/cose",
                "application/spdx+json",
                "application/vnd.cyclonedx+json",
            ] {
                let _ = decode(mt, &none, bytes);
            }
        }
        assert_eq!(
            signer_from_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
            None
        );
        assert_eq!(signer_from_der(&[0x30, 0x82, 0xff, 0xff]), None);
        assert_eq!(
            signer_from_der(&vec![0x30; MAX_CERTIFICATE_BYTES + 1]),
            None
        );
        assert_eq!(der_utf8(&[0x0c, 0x85, 1, 2, 3, 4, 5]), None);
        assert_eq!(der_utf8(&[0x0c, 0x02, b'h', b'i']).as_deref(), Some("hi"));
    }

    /// notation-go's real COSE envelope (tests/data/notation-cose) names its signer as a JWS
    /// one does, read from the leaf of its `x5chain`.
    #[test]
    fn a_cose_envelope_names_its_signer() {
        let envelope = include_bytes!("../../tests/data/notation-cose/cose_signature.sig");
        let decoded = decode("application/cose", &BTreeMap::new(), envelope).unwrap();
        assert_eq!(
            decoded.one_line(),
            "notation signature (COSE), signer C=US, ST=WA, L=Seattle, O=Notary, CN=alpine"
        );
        let cut = decode("application/cose", &BTreeMap::new(), &envelope[..100]).unwrap();
        assert_eq!(cut.one_line(), "notation signature (COSE)");
    }

    /// A self-signed certificate with `extensions` (openssl `-addext` values), DER.
    fn certificate_with(extensions: &[&str]) -> Vec<u8> {
        let dir = tempfile::tempdir().expect("dir");
        let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.der"));
        let mut cmd = std::process::Command::new("openssl");
        cmd.args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/O=sigstore.dev",
            "-outform",
            "DER",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-addext", "subjectAltName=email:dev@example.com"]);
        for e in extensions {
            cmd.args(["-addext", e]);
        }
        let out = cmd.output().expect("run openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(cert).expect("cert")
    }

    #[test]
    fn the_oidc_issuer_is_read_from_the_v2_extension_first_and_a_wrapped_v1_is_unwrapped() {
        // `.1.1` holds a raw string; listed first, it must still lose to `.1.8`.
        let both = certificate_with(&[
            "1.3.6.1.4.1.57264.1.1=DER:68747470733a2f2f6f6c64",
            "1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:https://new",
        ]);
        let signer = signer_from_der(&both).expect("a signer");
        assert_eq!(signer.issuer.as_deref(), Some("https://new"));
        assert_eq!(signer.identity.as_deref(), Some("dev@example.com"));
        // Only `.1.1`, raw as Fulcio wrote it.
        let raw = certificate_with(&["1.3.6.1.4.1.57264.1.1=DER:68747470733a2f2f6f6c64"]);
        assert_eq!(
            signer_from_der(&raw).and_then(|s| s.issuer).as_deref(),
            Some("https://old")
        );
        // Only `.1.1`, wrapped in a DER UTF8String: no `\u{c}!` in front.
        let wrapped = certificate_with(&[
            "1.3.6.1.4.1.57264.1.1=ASN1:UTF8String:https://token.actions.githubusercontent.com",
        ]);
        assert_eq!(
            signer_from_der(&wrapped).and_then(|s| s.issuer).as_deref(),
            Some("https://token.actions.githubusercontent.com")
        );
    }

    #[test]
    fn sboms_say_format_packages_and_generator() {
        let none = BTreeMap::new();
        let spdx = br#"{"spdxVersion":"SPDX-2.3","creationInfo":{"creators":["Organization: x","Tool: syft-1.0"]},"packages":[{},{}]}"#;
        assert_eq!(
            decode("application/spdx+json", &none, spdx).map(|p| p.one_line()),
            Some("SPDX-2.3 SBOM, 2 packages, by syft-1.0".into())
        );
        let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":{"components":[{"name":"trivy","version":"0.50"}]}},"components":[{"components":[{}]}]}"#;
        assert_eq!(
            decode("application/vnd.cyclonedx+json", &none, cdx).map(|p| p.one_line()),
            Some("CycloneDX 1.5 SBOM, 2 packages, by trivy 0.50".into())
        );
    }

    #[test]
    fn a_bundle_says_what_it_signs_and_its_rekor_entry() {
        use base64::Engine as _;
        let statement = base64::engine::general_purpose::STANDARD
            .encode(br#"{"predicateType":"https://slsa.dev/provenance/v1"}"#);
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {"tlogEntries": [{"logIndex": "12345"}]},
            "dsseEnvelope": {"payload": statement, "payloadType": "application/vnd.in-toto+json", "signatures": []}
        });
        let p = decode(
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            &BTreeMap::new(),
            &serde_json::to_vec(&bundle).unwrap_or_default(),
        );
        assert_eq!(
            p,
            Some(Payload::SigstoreBundle {
                content: "https://slsa.dev/provenance/v1".into(),
                signer: None,
                rekor_log_index: Some(12345),
            })
        );
    }

    #[test]
    fn a_summary_from_hostile_fields_prints_no_control_character() {
        // Found by the attachment_payload fuzz target: an SPDX version with a DEL in it.
        let none = std::collections::BTreeMap::new();
        let spdx = br#"{"spdxVersion":"\u007fPDX-2.3\u001b]0;x\u0007","packages":[]}"#;
        let line = decode("application/spdx+json", &none, spdx)
            .map(|p| p.one_line())
            .expect("an SBOM");
        assert!(!line.chars().any(char::is_control), "{line:?}");
    }
}

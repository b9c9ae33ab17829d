//! notation signatures made at test time: a CA and signing certificates from `openssl` with the
//! subjects a trust policy names, JWS envelopes (JSON serialization) signed with them as
//! `notation sign` writes them, a trust store directory and a `trustpolicy.json`.

use base64::Engine as _;
use serde_json::json;

use super::attach::{push_artifact, push_schema_index, KeyKind, SigningKey};
use super::TestRegistry;

const URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const STD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// The artifact type of a notation signature manifest.
pub const NOTATION_SIGNATURE: &str = "application/vnd.cncf.notary.signature";

use super::attach::openssl;
use super::sigstore::path;

/// A certificate and its key (PEM files), and its DER.
pub struct Cert {
    pub key: SigningKey,
    pub pem: std::path::PathBuf,
    pub der: Vec<u8>,
}

impl Cert {
    /// A self-signed root CA with subject `subject` (`/C=US/ST=WA/O=acme/CN=acme root`).
    pub fn root(dir: &std::path::Path, name: &str, subject: &str) -> Self {
        let key = SigningKey::generate(dir, &format!("{name}-ca"), KeyKind::P384);
        let pem = dir.join(format!("{name}-ca.pem"));
        let ext = dir.join(format!("{name}-ca.ext"));
        std::fs::write(
            &ext,
            "[v3]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n",
        )
        .expect("ext");
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-key",
            &path(&key.private),
            "-subj",
            subject,
            "-days",
            "30",
            "-config",
            &path(&ext),
            "-extensions",
            "v3",
            "-out",
            &path(&pem),
        ]);
        Self::read(key, pem)
    }

    fn read(key: SigningKey, pem: std::path::PathBuf) -> Self {
        let der = openssl(&["x509", "-in", &path(&pem), "-outform", "DER"]);
        Self { key, pem, der }
    }

    /// A code-signing certificate for `subject` signed by this CA, with a key of `kind`, valid
    /// for a day from now.
    pub fn leaf(&self, dir: &std::path::Path, name: &str, subject: &str, kind: KeyKind) -> Self {
        let key = SigningKey::generate(dir, name, kind);
        let (pem, csr, ext) = (
            dir.join(format!("{name}.pem")),
            dir.join(format!("{name}.csr")),
            dir.join(format!("{name}.ext")),
        );
        std::fs::write(
            &ext,
            "[v3]\nbasicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
        )
        .expect("ext");
        openssl(&[
            "req",
            "-new",
            "-key",
            &path(&key.private),
            "-subj",
            subject,
            "-out",
            &path(&csr),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path(&csr),
            "-CA",
            &path(&self.pem),
            "-CAkey",
            &path(&self.key.private),
            "-set_serial",
            "0x4321",
            "-days",
            "1",
            "-sha384",
            "-extfile",
            &path(&ext),
            "-extensions",
            "v3",
            "-out",
            &path(&pem),
        ]);
        Self::read(key, pem)
    }
}

/// An ECDSA DER signature (`SEQUENCE { r, s }`) as JWS writes it: `r || s`, each `n` bytes.
fn ecdsa_fixed(der: &[u8], n: usize) -> Vec<u8> {
    let mut at = 2;
    if der[1] & 0x80 != 0 {
        at += usize::from(der[1] & 0x7f);
    }
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "an INTEGER");
        let len = usize::from(der[at + 1]);
        let int = &der[at + 2..at + 2 + len];
        let int = &int[int.len().saturating_sub(n)..];
        out.extend(std::iter::repeat_n(0u8, n - int.len()));
        out.extend_from_slice(int);
        at += 2 + len;
    }
    out
}

/// How a test envelope departs from a good one.
#[derive(Default)]
pub struct Envelope<'a> {
    /// `io.cncf.notary.signingTime`; default now.
    pub signing_time: Option<String>,
    /// `io.cncf.notary.expiry`, marked critical.
    pub expiry: Option<String>,
    /// Another digest in `targetArtifact` than the subject's.
    pub target_digest: Option<&'a str>,
    /// A payload swapped in after signing.
    pub tampered: bool,
    /// Extra names in `crit` (and the header).
    pub extra_critical: Option<&'a str>,
}

impl<'a> Envelope<'a> {
    pub fn tampered() -> Self {
        Self {
            tampered: true,
            ..Self::default()
        }
    }

    pub fn targeting(digest: &'a str) -> Self {
        Self {
            target_digest: Some(digest),
            ..Self::default()
        }
    }

    pub fn expiring(at: &str) -> Self {
        Self {
            expiry: Some(at.into()),
            ..Self::default()
        }
    }

    pub fn signed_at(at: &str) -> Self {
        Self {
            signing_time: Some(at.into()),
            ..Self::default()
        }
    }

    pub fn critical(name: &'a str) -> Self {
        Self {
            extra_critical: Some(name),
            ..Self::default()
        }
    }
}

/// A notation JWS envelope signing `subject` (digest, media type, size) with `leaf`, its `x5c`
/// the chain `leaf, ..chain`.
pub fn jws(
    leaf: &Cert,
    chain: &[&Cert],
    subject: (&str, &str, usize),
    how: &Envelope<'_>,
) -> Vec<u8> {
    let (alg, sign_args): (&str, Vec<&str>) = match leaf.key.kind {
        KeyKind::P256 => ("ES256", vec!["-sha256"]),
        KeyKind::P384 => ("ES384", vec!["-sha384"]),
        KeyKind::Rsa => (
            "PS256",
            vec![
                "-sha256",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
            ],
        ),
        KeyKind::Ed25519 => panic!("notation does not sign with Ed25519"),
    };
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut header = json!({
        "alg": alg,
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": "notary.x509",
        "io.cncf.notary.signingTime": how.signing_time.clone().unwrap_or(now),
    });
    if let Some(expiry) = &how.expiry {
        header["io.cncf.notary.expiry"] = json!(expiry);
        header["crit"]
            .as_array_mut()
            .expect("crit")
            .push(json!("io.cncf.notary.expiry"));
    }
    if let Some(extra) = how.extra_critical {
        header[extra] = json!("x");
        header["crit"]
            .as_array_mut()
            .expect("crit")
            .push(json!(extra));
    }
    let payload = |digest: &str| {
        URL.encode(
            serde_json::to_vec(&json!({"targetArtifact": {
                "mediaType": subject.1, "digest": digest, "size": subject.2,
                "annotations": {"io.wabbit-networks.buildId": "123"}
            }}))
            .expect("json"),
        )
    };
    let protected = URL.encode(serde_json::to_vec(&header).expect("json"));
    let signed_payload = payload(how.target_digest.unwrap_or(subject.0));
    let dir = leaf.key.private.parent().expect("dir");
    let input = dir.join("jws-input.bin");
    std::fs::write(&input, format!("{protected}.{signed_payload}")).expect("input");
    let mut args = vec!["dgst"];
    args.extend(sign_args);
    let key = path(&leaf.key.private);
    let input = path(&input);
    args.extend(["-sign", &key, &input]);
    let mut signature = openssl(&args);
    match leaf.key.kind {
        KeyKind::P256 => signature = ecdsa_fixed(&signature, 32),
        KeyKind::P384 => signature = ecdsa_fixed(&signature, 48),
        _ => {}
    }
    let shown_payload = if how.tampered {
        payload(&format!("sha256:{}", "0".repeat(64)))
    } else {
        signed_payload
    };
    let x5c: Vec<String> = std::iter::once(leaf)
        .chain(chain.iter().copied())
        .map(|c| STD.encode(&c.der))
        .collect();
    serde_json::to_vec(&json!({
        "payload": shown_payload,
        "protected": protected,
        "header": {"x5c": x5c, "io.cncf.notary.signingAgent": "notation-go/1.2.0"},
        "signature": URL.encode(signature),
    }))
    .expect("json")
}

/// Pushes `envelope` to `repo` as a notation signature of `subject` (an OCI 1.1 manifest with
/// `subject`), listed in the referrers tag schema's `sha256-<hex>` index as docker-registry
/// has no referrers API.
pub fn push_signature(
    reg: &TestRegistry,
    repo: &str,
    subject: (&str, &str, usize),
    envelopes: &[Vec<u8>],
) {
    let listed: Vec<(String, usize, String)> = envelopes
        .iter()
        .map(|e| {
            let (d, s) = push_artifact(
                reg,
                repo,
                subject,
                NOTATION_SIGNATURE,
                "application/jose+json",
                e,
            );
            (d, s, NOTATION_SIGNATURE.to_string())
        })
        .collect();
    push_schema_index(reg, repo, subject.0, &listed);
}

/// A trust store under `root` holding `ca` as `x509/ca/NAME/NAME.pem`.
pub fn trust_store(root: &std::path::Path, name: &str, ca: &Cert) {
    let dir = root.join("x509/ca").join(name);
    std::fs::create_dir_all(&dir).expect("store");
    std::fs::copy(&ca.pem, dir.join(format!("{name}.pem"))).expect("copy");
}

//! notation signatures made at test time: a CA and signing certificates from `openssl` with the
//! subjects a trust policy names, JWS envelopes (JSON serialization) and COSE envelopes
//! (`COSE_Sign1_Tagged`, encoded here, signed with aws-lc) signed with them as `notation sign`
//! writes them, a trust store directory and a `trustpolicy.json`.

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
    /// The expiry present but left out of `crit`.
    pub expiry_not_critical: bool,
    /// Scheme `notary.x509.signingAuthority`: the time is `authenticSigningTime`, critical.
    pub signing_authority: bool,
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

    /// Signed under the `notary.x509.signingAuthority` scheme.
    pub fn by_authority() -> Self {
        Self {
            signing_authority: true,
            ..Self::default()
        }
    }

    /// The scheme, and the name of its signing time.
    fn scheme(&self) -> (&'static str, &'static str) {
        if self.signing_authority {
            (
                "notary.x509.signingAuthority",
                "io.cncf.notary.authenticSigningTime",
            )
        } else {
            ("notary.x509", "io.cncf.notary.signingTime")
        }
    }

    /// An expiry in the header that `crit` does not list.
    pub fn uncritical_expiry(at: &str) -> Self {
        Self {
            expiry: Some(at.into()),
            expiry_not_critical: true,
            ..Self::default()
        }
    }
}

/// notation's payload for `subject` naming `digest`.
fn payload_json(subject: (&str, &str, usize), digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({"targetArtifact": {
        "mediaType": subject.1, "digest": digest, "size": subject.2,
        "annotations": {"io.wabbit-networks.buildId": "123"}
    }}))
    .expect("json")
}

/// CBOR, as much as a `COSE_Sign1` needs, in the shortest (deterministic) form.
mod cbor {
    pub fn head(out: &mut Vec<u8>, major: u8, n: u64) {
        let m = major << 5;
        if n < 24 {
            out.push(m | u8::try_from(n).expect("small"));
        } else if let Ok(b) = u8::try_from(n) {
            out.extend([m | 0x18, b]);
        } else if let Ok(h) = u16::try_from(n) {
            out.push(m | 0x19);
            out.extend(h.to_be_bytes());
        } else if let Ok(w) = u32::try_from(n) {
            out.push(m | 0x1a);
            out.extend(w.to_be_bytes());
        } else {
            out.push(m | 0x1b);
            out.extend(n.to_be_bytes());
        }
    }

    pub fn int(out: &mut Vec<u8>, n: i64) {
        if n >= 0 {
            head(out, 0, n.unsigned_abs());
        } else {
            head(out, 1, (-1 - n).unsigned_abs());
        }
    }

    pub fn bytes(out: &mut Vec<u8>, b: &[u8]) {
        head(out, 2, b.len() as u64);
        out.extend_from_slice(b);
    }

    pub fn text(out: &mut Vec<u8>, t: &str) {
        head(out, 3, t.len() as u64);
        out.extend_from_slice(t.as_bytes());
    }

    /// A CBOR epoch time (tag 1) of the RFC 3339 time `at`.
    pub fn time(out: &mut Vec<u8>, at: &str) {
        head(out, 6, 1);
        let t = chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time");
        int(out, t.timestamp());
    }
}

/// The COSE `alg` notation signs with a key of `kind`.
fn cose_alg(kind: KeyKind) -> i64 {
    match kind {
        KeyKind::P256 => -7,
        KeyKind::P384 => -35,
        KeyKind::Rsa => -37,
        KeyKind::Ed25519 => panic!("notation does not sign with Ed25519"),
    }
}

/// The signature of `message` with `leaf`'s key, made with aws-lc as notation's signer makes
/// it: ECDSA as fixed `r || s`, RSA as PSS with a salt as long as the hash.
fn sign_cose(leaf: &Cert, message: &[u8]) -> Vec<u8> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, RsaKeyPair};
    let pkcs8 = openssl(&[
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-in",
        &path(&leaf.key.private),
        "-outform",
        "DER",
    ]);
    let rng = SystemRandom::new();
    let ecdsa = |alg: &'static sig::EcdsaSigningAlgorithm| {
        let key = EcdsaKeyPair::from_pkcs8(alg, &pkcs8).expect("an ECDSA key");
        key.sign(&rng, message).expect("sign").as_ref().to_vec()
    };
    match leaf.key.kind {
        KeyKind::P256 => ecdsa(&sig::ECDSA_P256_SHA256_FIXED_SIGNING),
        KeyKind::P384 => ecdsa(&sig::ECDSA_P384_SHA384_FIXED_SIGNING),
        KeyKind::Rsa => {
            let key = RsaKeyPair::from_pkcs8(&pkcs8).expect("an RSA key");
            let mut out = vec![0; key.public_modulus_len()];
            key.sign(&sig::RSA_PSS_SHA256, &rng, message, &mut out)
                .expect("sign");
            out
        }
        KeyKind::Ed25519 => panic!("notation does not sign with Ed25519"),
    }
}

/// A notation COSE envelope (`COSE_Sign1_Tagged`) signing `subject` (digest, media type,
/// size) with `leaf`, its `x5chain` the chain `leaf, ..chain`, as notation-core-go writes one:
/// `alg`, `crit`, the content type and notation's parameters in the protected header, the chain
/// and signing agent in the unprotected one, the payload attached.
pub fn cose(
    leaf: &Cert,
    chain: &[&Cert],
    subject: (&str, &str, usize),
    how: &Envelope<'_>,
) -> Vec<u8> {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let alg = cose_alg(leaf.key.kind);
    let (scheme, time_label) = how.scheme();
    let mut crit = vec!["io.cncf.notary.signingScheme"];
    if how.signing_authority {
        crit.push(time_label);
    }
    if how.expiry.is_some() && !how.expiry_not_critical {
        crit.push("io.cncf.notary.expiry");
    }
    crit.extend(how.extra_critical);
    let mut protected = Vec::new();
    let entries = 5 + usize::from(how.expiry.is_some()) + usize::from(how.extra_critical.is_some());
    cbor::head(&mut protected, 5, entries as u64);
    cbor::int(&mut protected, 1);
    cbor::int(&mut protected, alg);
    cbor::int(&mut protected, 2);
    cbor::head(&mut protected, 4, crit.len() as u64);
    for c in &crit {
        cbor::text(&mut protected, c);
    }
    cbor::int(&mut protected, 3);
    cbor::text(
        &mut protected,
        "application/vnd.cncf.notary.payload.v1+json",
    );
    cbor::text(&mut protected, "io.cncf.notary.signingScheme");
    cbor::text(&mut protected, scheme);
    cbor::text(&mut protected, time_label);
    cbor::time(&mut protected, how.signing_time.as_deref().unwrap_or(&now));
    if let Some(expiry) = &how.expiry {
        cbor::text(&mut protected, "io.cncf.notary.expiry");
        cbor::time(&mut protected, expiry);
    }
    if let Some(extra) = how.extra_critical {
        cbor::text(&mut protected, extra);
        cbor::text(&mut protected, "x");
    }
    let signed_payload = payload_json(subject, how.target_digest.unwrap_or(subject.0));
    // Sig_structure = ["Signature1", protected, h'', payload]
    let mut to_sign = vec![0x84];
    cbor::text(&mut to_sign, "Signature1");
    cbor::bytes(&mut to_sign, &protected);
    cbor::bytes(&mut to_sign, b"");
    cbor::bytes(&mut to_sign, &signed_payload);
    let signature = sign_cose(leaf, &to_sign);
    let shown_payload = if how.tampered {
        payload_json(subject, &format!("sha256:{}", "0".repeat(64)))
    } else {
        signed_payload
    };
    let mut out = vec![0xd2, 0x84];
    cbor::bytes(&mut out, &protected);
    cbor::head(&mut out, 5, 2);
    cbor::int(&mut out, 33);
    cbor::head(&mut out, 4, 1 + chain.len() as u64);
    for c in std::iter::once(leaf).chain(chain.iter().copied()) {
        cbor::bytes(&mut out, &c.der);
    }
    cbor::text(&mut out, "io.cncf.notary.signingAgent");
    cbor::text(&mut out, "notation-go/1.2.0");
    cbor::bytes(&mut out, &shown_payload);
    cbor::bytes(&mut out, &signature);
    out
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
    let (scheme, time_label) = how.scheme();
    let mut header = json!({
        "alg": alg,
        "crit": ["io.cncf.notary.signingScheme"],
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": scheme,
    });
    header[time_label] = json!(how.signing_time.clone().unwrap_or(now));
    if how.signing_authority {
        header["crit"]
            .as_array_mut()
            .expect("crit")
            .push(json!(time_label));
    }
    if let Some(expiry) = &how.expiry {
        header["io.cncf.notary.expiry"] = json!(expiry);
        if !how.expiry_not_critical {
            header["crit"]
                .as_array_mut()
                .expect("crit")
                .push(json!("io.cncf.notary.expiry"));
        }
    }
    if let Some(extra) = how.extra_critical {
        header[extra] = json!("x");
        header["crit"]
            .as_array_mut()
            .expect("crit")
            .push(json!(extra));
    }
    let payload = |digest: &str| URL.encode(payload_json(subject, digest));
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
    push_signatures_as(reg, repo, subject, "application/jose+json", envelopes);
}

/// Pushes `envelopes` of `media_type` (`application/jose+json`, `application/cose`) as
/// notation signatures of `subject`, listed in its referrers tag.
pub fn push_signatures_as(
    reg: &TestRegistry,
    repo: &str,
    subject: (&str, &str, usize),
    media_type: &str,
    envelopes: &[Vec<u8>],
) {
    let listed: Vec<(String, usize, String)> = envelopes
        .iter()
        .map(|e| {
            let (d, s) = push_artifact(reg, repo, subject, NOTATION_SIGNATURE, media_type, e);
            (d, s, NOTATION_SIGNATURE.to_string())
        })
        .collect();
    push_schema_index(reg, repo, subject.0, &listed);
}

/// A trust store under `root` holding `ca` as `x509/ca/NAME/NAME.pem`.
pub fn trust_store(root: &std::path::Path, name: &str, ca: &Cert) {
    trust_store_of(root, "ca", name, ca);
}

/// A trust store of `kind` (`ca`, `signingAuthority`) under `root` holding `ca` as
/// `x509/KIND/NAME/NAME.pem`.
pub fn trust_store_of(root: &std::path::Path, kind: &str, name: &str, ca: &Cert) {
    let dir = root.join("x509").join(kind).join(name);
    std::fs::create_dir_all(&dir).expect("store");
    std::fs::copy(&ca.pem, dir.join(format!("{name}.pem"))).expect("copy");
}

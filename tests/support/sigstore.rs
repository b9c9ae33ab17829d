//! A throw-away Sigstore made with `openssl` at test time: a CA standing in for Fulcio (root
//! and intermediate), leaf certificates with Fulcio's extensions (the identity in a SAN, the
//! OIDC issuer in 1.3.6.1.4.1.57264.1.8), a key standing in for Rekor signing entry timestamps,
//! and the `trusted_root.json` that trusts them. Signature layers carry cosign's annotations.

use base64::Engine as _;
use serde_json::json;

use super::attach::{openssl, KeyKind, SigningKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A path as an openssl argument.
pub fn path(p: &std::path::Path) -> String {
    p.display().to_string()
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs(),
    )
    .expect("time")
}

/// A certificate authority: its key and PEM certificate.
pub struct Ca {
    pub key: std::path::PathBuf,
    pub cert: std::path::PathBuf,
}

impl Ca {
    /// A self-signed root CA named `/O=<name>`.
    pub fn root(dir: &std::path::Path, name: &str) -> Self {
        let k = SigningKey::generate(dir, &format!("{name}-ca"), KeyKind::P384);
        let cert = dir.join(format!("{name}-ca.pem"));
        let csr = dir.join(format!("{name}-ca.csr"));
        let ext = ext_file(
            dir,
            name,
            "basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
        openssl(&[
            "req",
            "-new",
            "-key",
            &path(&k.private),
            "-subj",
            &format!("/O={name}/CN={name} root"),
            "-out",
            &path(&csr),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path(&csr),
            "-signkey",
            &path(&k.private),
            "-days",
            "30",
            "-extfile",
            &path(&ext),
            "-extensions",
            "v3",
            "-out",
            &path(&cert),
        ]);
        Self {
            key: k.private,
            cert,
        }
    }

    /// An intermediate CA signed by `self`.
    pub fn intermediate(&self, dir: &std::path::Path, name: &str) -> Self {
        let k = SigningKey::generate(dir, &format!("{name}-ca"), KeyKind::P384);
        let cert = dir.join(format!("{name}-ca.pem"));
        let csr = dir.join(format!("{name}-ca.csr"));
        let ext = ext_file(
            dir,
            name,
            "basicConstraints=critical,CA:true,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
        openssl(&[
            "req",
            "-new",
            "-key",
            &path(&k.private),
            "-subj",
            &format!("/O={name}/CN={name} intermediate"),
            "-out",
            &path(&csr),
        ]);
        self.sign(&csr, &ext, "30", &cert);
        Self {
            key: k.private,
            cert,
        }
    }

    fn sign(
        &self,
        csr: &std::path::Path,
        ext: &std::path::Path,
        days: &str,
        out: &std::path::Path,
    ) {
        openssl(&[
            "x509",
            "-req",
            "-in",
            &path(csr),
            "-CA",
            &path(&self.cert),
            "-CAkey",
            &path(&self.key),
            "-set_serial",
            "0x1234",
            "-days",
            days,
            "-sha384",
            "-extfile",
            &path(ext),
            "-extensions",
            "v3",
            "-out",
            &path(out),
        ]);
    }

    /// A Fulcio-like leaf valid from now for a day: `san` (`email:ci@example.com`,
    /// `URI:https://…`) and the OIDC `issuer` in extension .1.8.
    pub fn leaf(&self, dir: &std::path::Path, name: &str, san: &str, issuer: &str) -> Leaf {
        self.leaf_for(dir, name, san, issuer, "codeSigning")
    }

    /// [`Ca::leaf`] with another extended key usage (`emailProtection`).
    pub fn leaf_for(
        &self,
        dir: &std::path::Path,
        name: &str,
        san: &str,
        issuer: &str,
        usage: &str,
    ) -> Leaf {
        let key = SigningKey::generate(dir, name, KeyKind::P256);
        let cert = dir.join(format!("{name}.pem"));
        let csr = dir.join(format!("{name}.csr"));
        let ext = ext_file(
            dir,
            name,
            &format!("subjectAltName=critical,{san}\n1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:{issuer}\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"),
        );
        openssl(&[
            "req",
            "-new",
            "-key",
            &path(&key.private),
            "-subj",
            "/O=sigstore.dev",
            "-out",
            &path(&csr),
        ]);
        self.sign(&csr, &ext, "1", &cert);
        Leaf {
            key,
            pem: std::fs::read_to_string(&cert).expect("leaf"),
        }
    }

    /// The certificate's DER.
    pub fn der(&self) -> Vec<u8> {
        openssl(&["x509", "-in", &path(&self.cert), "-outform", "DER"])
    }
}

fn ext_file(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{name}.ext"));
    std::fs::write(&p, format!("[v3]\n{body}")).expect("ext");
    p
}

/// A signer's certificate and key.
pub struct Leaf {
    pub key: SigningKey,
    pub pem: String,
}

/// A log standing in for Rekor: its key and the log ID entries name it by (SHA-256 of the DER
/// key, as Rekor v1's).
pub struct Log {
    pub key: SigningKey,
    pub der: Vec<u8>,
}

impl Log {
    pub fn new(dir: &std::path::Path, name: &str) -> Self {
        let key = SigningKey::generate(dir, name, KeyKind::P256);
        let der = openssl(&[
            "pkey",
            "-pubin",
            "-in",
            &path(&key.public),
            "-outform",
            "DER",
        ]);
        Self { key, der }
    }

    pub fn id(&self) -> Vec<u8> {
        use sha2::Digest as _;
        sha2::Sha256::digest(&self.der).to_vec()
    }
}

/// How a signature is logged.
pub enum Logged<'a> {
    /// In `log`, integrated at `at` (seconds since the epoch).
    At(&'a Log, i64),
    /// The SET signed for `at`, the bundle then changed to say `claimed`.
    Tampered(&'a Log, i64, i64),
    /// No bundle at all.
    Not,
}

/// The SET's message: the canonical JSON of the entry, as Rekor signs it.
pub fn canonical(body: &str, at: i64, index: i64, log_id: &str) -> String {
    format!(r#"{{"body":"{body}","integratedTime":{at},"logID":"{log_id}","logIndex":{index}}}"#)
}

/// A cosign keyless signature layer: `payload` signed by `leaf`'s key, its certificate, and the
/// Rekor bundle as `logged` says.
pub fn layer(leaf: &Leaf, payload: &[u8], logged: &Logged<'_>) -> (Vec<u8>, serde_json::Value) {
    use sha2::Digest as _;
    let signature = leaf.key.sign(payload);
    let mut annotations = json!({
        "dev.cosignproject.cosign/signature": signature,
        "dev.sigstore.cosign/certificate": leaf.pem,
    });
    let (log, signed_at, claimed) = match logged {
        Logged::At(log, at) => (log, *at, *at),
        Logged::Tampered(log, at, claimed) => (log, *at, *claimed),
        Logged::Not => return (payload.to_vec(), annotations),
    };
    let body = B64.encode(
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(payload))}},
                "signature": {"content": signature, "publicKey": {"content": B64.encode(&leaf.pem)}}
            }
        }))
        .expect("json"),
    );
    let log_id = hex::encode(log.id());
    let set = log
        .key
        .sign(canonical(&body, signed_at, 7, &log_id).as_bytes());
    annotations["dev.sigstore.cosign/bundle"] = json!({
        "SignedEntryTimestamp": set,
        "Payload": {"body": body, "integratedTime": claimed, "logIndex": 7, "logID": log_id}
    })
    .to_string()
    .into();
    (payload.to_vec(), annotations)
}

/// A `trusted_root.json` trusting `fulcio` (intermediate then root) and `log`.
pub fn trusted_root(fulcio: (&Ca, &Ca), log: &Log) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.test",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {"rawBytes": B64.encode(&log.der), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2020-01-01T00:00:00Z"}},
            "logId": {"keyId": B64.encode(log.id())}
        }],
        "certificateAuthorities": [{
            "subject": {"organization": "test-fulcio", "commonName": "test-fulcio"},
            "uri": "https://fulcio.test",
            "certChain": {"certificates": [{"rawBytes": B64.encode(fulcio.1.der())}, {"rawBytes": B64.encode(fulcio.0.der())}]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        }],
        "ctlogs": [],
        "timestampAuthorities": []
    }))
    .expect("json")
}

/// The Rekor entry kinds a DSSE envelope is logged as.
#[derive(Clone, Copy)]
pub enum EntryKind {
    /// `dsse` 0.0.1 (cosign v3, Sigstore bundles).
    Dsse,
    /// `intoto` 0.0.2 (cosign v2's keyless `.att`), its signature base64 twice as Rekor keeps it.
    Intoto,
}

/// The Rekor entry body (JSON) logging the DSSE `envelope` signed by `leaf`.
pub fn envelope_entry(leaf: &Leaf, envelope: &[u8], kind: EntryKind) -> serde_json::Value {
    use sha2::Digest as _;
    let e: serde_json::Value = serde_json::from_slice(envelope).expect("envelope");
    let payload = B64
        .decode(e["payload"].as_str().expect("payload"))
        .expect("base64");
    let sig = e["signatures"][0]["sig"].as_str().expect("sig").to_string();
    let payload_hash =
        json!({"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(&payload))});
    let envelope_hash =
        json!({"algorithm": "sha256", "value": hex::encode(sha2::Sha256::digest(envelope))});
    match kind {
        EntryKind::Dsse => json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {"envelopeHash": envelope_hash, "payloadHash": payload_hash,
                     "signatures": [{"signature": sig, "verifier": B64.encode(&leaf.pem)}]}
        }),
        EntryKind::Intoto => json!({
            "apiVersion": "0.0.2", "kind": "intoto",
            "spec": {"content": {
                "envelope": {"payloadType": e["payloadType"], "signatures": [{"publicKey": B64.encode(&leaf.pem), "sig": B64.encode(&sig)}]},
                "hash": envelope_hash, "payloadHash": payload_hash}}
        }),
    }
}

/// `entry` logged in `log` at `at`: the base64 body, the hex log ID and the base64 SET.
fn logged_entry(entry: &serde_json::Value, log: &Log, at: i64) -> (String, String, String) {
    let body = B64.encode(serde_json::to_vec(entry).expect("json"));
    let log_id = hex::encode(log.id());
    let set = log.key.sign(canonical(&body, at, 7, &log_id).as_bytes());
    (body, log_id, set)
}

/// The `tlogEntries[]` entry of a Sigstore bundle logging `entry` as `logged` says (with an
/// inclusion proof whose checkpoint names the log `rekor.test`); `None` for `Logged::Not`.
pub fn tlog_entry(entry: &serde_json::Value, logged: &Logged<'_>) -> Option<serde_json::Value> {
    let (log, at, claimed) = match logged {
        Logged::At(log, at) => (*log, *at, *at),
        Logged::Tampered(log, at, claimed) => (*log, *at, *claimed),
        Logged::Not => return None,
    };
    let (body, _, set) = logged_entry(entry, log, at);
    Some(json!({
        "logIndex": "7",
        "logId": {"keyId": B64.encode(log.id())},
        "kindVersion": {"kind": entry["kind"], "version": entry["apiVersion"]},
        "integratedTime": claimed.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": set},
        "inclusionProof": inclusion_proof(log, &B64.decode(&body).expect("body")),
        "canonicalizedBody": body
    }))
}

/// A Sigstore bundle (v0.3) of the DSSE `envelope` with `leaf`'s certificate and one
/// `tlogEntries[]` entry logging `entry` as `logged` says (`Logged::Not`: no entry).
pub fn dsse_bundle(
    leaf: &Leaf,
    envelope: &[u8],
    entry: &serde_json::Value,
    logged: &Logged<'_>,
) -> Vec<u8> {
    let envelope: serde_json::Value = serde_json::from_slice(envelope).expect("envelope");
    let entries: Vec<serde_json::Value> = tlog_entry(entry, logged).into_iter().collect();
    serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": B64.encode(leaf.der())}, "tlogEntries": entries},
        "dsseEnvelope": envelope,
    }))
    .expect("json")
}

/// A `hashedrekord` 0.0.1 entry body: the hex SHA-256 `digest` signed with the base64
/// `signature` by `pem` (a certificate or a public key), as Rekor records a message signature.
pub fn hashedrekord_entry(pem: &str, digest: &str, signature: &str) -> serde_json::Value {
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": digest}},
            "signature": {"content": signature, "publicKey": {"content": B64.encode(pem)}}
        }
    })
}

/// A Sigstore bundle (v0.3) of a message signature, as cosign v3 and sigstore clients make one
/// for an artifact: the SHA-256 `digest` and the base64 `signature` of the artifact's bytes,
/// `leaf`'s certificate (else a public-key hint: signed with a key) and the `tlog` entries.
pub fn message_bundle(
    leaf: Option<&Leaf>,
    digest: &[u8],
    signature: &str,
    tlog: &[serde_json::Value],
) -> Vec<u8> {
    let material = match leaf {
        Some(leaf) => {
            json!({"certificate": {"rawBytes": B64.encode(leaf.der())}, "tlogEntries": tlog})
        }
        None => json!({"publicKey": {"hint": "test"}, "tlogEntries": tlog}),
    };
    serde_json::to_vec(&json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest)},
            "signature": signature
        },
    }))
    .expect("json")
}

/// A cosign v2 keyless `.att` layer: the DSSE `envelope`, `leaf`'s certificate and the Rekor
/// bundle annotation logging `entry` as `logged` says.
pub fn attestation_layer(
    leaf: &Leaf,
    envelope: &[u8],
    entry: &serde_json::Value,
    logged: &Logged<'_>,
) -> (Vec<u8>, serde_json::Value) {
    let mut annotations = json!({
        "dev.cosignproject.cosign/signature": "",
        "dev.sigstore.cosign/certificate": leaf.pem,
        "predicateType": "https://slsa.dev/provenance/v1",
    });
    if let Logged::At(log, at) | Logged::Tampered(log, at, _) = logged {
        let claimed = match logged {
            Logged::Tampered(_, _, c) => *c,
            _ => *at,
        };
        let (body, log_id, set) = logged_entry(entry, log, *at);
        annotations["dev.sigstore.cosign/bundle"] = json!({
            "SignedEntryTimestamp": set,
            "Payload": {"body": body, "integratedTime": claimed, "logIndex": 7, "logID": log_id}
        })
        .to_string()
        .into();
    }
    (envelope.to_vec(), annotations)
}

impl Leaf {
    /// The certificate's DER.
    pub fn der(&self) -> Vec<u8> {
        let b64: String = self
            .pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        B64.decode(b64).expect("pem")
    }
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

/// RFC 6962's tree hash of `leaves`.
fn tree_hash(leaves: &[Vec<u8>]) -> Vec<u8> {
    match leaves.len() {
        0 => sha256(&[]),
        1 => sha256(&[&[0], &leaves[0]]),
        n => {
            let k = split(n);
            sha256(&[&[1], &tree_hash(&leaves[..k]), &tree_hash(&leaves[k..])])
        }
    }
}

/// The largest power of two below `n`: where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// RFC 6962's audit path of leaf `m`.
fn audit_path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    let (mut p, other) = if m < k {
        (audit_path(m, &leaves[..k]), tree_hash(&leaves[k..]))
    } else {
        (audit_path(m - k, &leaves[k..]), tree_hash(&leaves[..k]))
    };
    p.push(other);
    p
}

/// An `inclusionProof` of `body` as leaf 3 of a 6-entry tree of `log`, with the checkpoint the
/// log's key signs (a signed note: the key's 4-byte hint, then its signature of the text),
/// its origin `rekor.test - 42` (the trusted root names the log `https://rekor.test`).
pub fn inclusion_proof(log: &Log, body: &[u8]) -> serde_json::Value {
    inclusion_proof_from(log, body, "rekor.test - 42")
}

/// [`inclusion_proof`] with a checkpoint of `origin` (a Rekor v2 log's is its host alone),
/// signed under the origin's name.
pub fn inclusion_proof_from(log: &Log, body: &[u8], origin: &str) -> serde_json::Value {
    let name = origin.split(" - ").next().unwrap_or(origin);
    let mut leaves: Vec<Vec<u8>> = (0..6u8).map(|i| vec![i; 8]).collect();
    leaves[3] = body.to_vec();
    let root = tree_hash(&leaves);
    let hashes: Vec<String> = audit_path(3, &leaves)
        .iter()
        .map(|h| B64.encode(h))
        .collect();
    let text = format!("{origin}\n6\n{}\n", B64.encode(&root));
    let mut sig = log.id()[..4].to_vec();
    sig.extend(B64.decode(log.key.sign(text.as_bytes())).expect("sig"));
    json!({
        "logIndex": "3", "treeSize": "6", "rootHash": B64.encode(&root), "hashes": hashes,
        "checkpoint": {"envelope": format!("{text}\n\u{2014} {name} {}\n", B64.encode(sig))}
    })
}

/// A key standing where a certificate stands in the keyless helpers: `key` signs, and the
/// entries those helpers write name `named`'s public key PEM (a keyed cosign signature's
/// `hashedrekord`, `dsse` and `intoto` entries record the key itself; `named` another key's
/// for an entry that does not match).
pub fn key_signer(key: &SigningKey, named: &SigningKey) -> Leaf {
    Leaf {
        key: SigningKey {
            private: key.private.clone(),
            public: key.public.clone(),
            kind: key.kind,
        },
        pem: std::fs::read_to_string(&named.public).expect("public key"),
    }
}

/// Drops the certificate annotation the keyless helpers write: a keyed layer has none.
pub fn without_certificate(
    (payload, mut annotations): (Vec<u8>, serde_json::Value),
) -> (Vec<u8>, serde_json::Value) {
    if let Some(a) = annotations.as_object_mut() {
        a.remove("dev.sigstore.cosign/certificate");
    }
    (payload, annotations)
}

/// A throw-away RFC 3161 timestamp authority made with `openssl`: a root, a TSA certificate
/// valid for a day and one that expired in 2020 (both with the critical timeStamping usage
/// `openssl ts -reply` insists on, as RFC 3161 does).
pub struct Tsa {
    dir: std::path::PathBuf,
    name: String,
}

impl Tsa {
    pub fn new(dir: &std::path::Path, name: &str) -> Self {
        let dir = dir.join(format!("tsa-{name}"));
        std::fs::create_dir_all(&dir).expect("tsa dir");
        let f = |file: &str| path(&dir.join(file));
        std::fs::write(
            dir.join("tsa.cnf"),
            format!(
                "[tsa_ext]\nextendedKeyUsage = critical,timeStamping\nbasicConstraints = CA:FALSE\n\
                 [ca_ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign\n\
                 [tsa]\ndefault_tsa = t\n[t]\nserial = {}\ncrypto_device = builtin\nsigner_digest = sha256\n\
                 default_policy = 1.2.3.4.1\nother_policies = 1.2.3.4.2\ndigests = sha256\ness_cert_id_alg = sha256\n\
                 [ca]\ndefault_ca = c\n[c]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\ndefault_md = sha256\n\
                 policy = p\ncopy_extensions = none\nunique_subject = no\n[p]\ncommonName = supplied\n",
                f("serial"),
                f("index.txt"),
                path(&dir),
                f("caserial")
            ),
        )
        .expect("config");
        std::fs::write(dir.join("serial"), "01\n").expect("serial");
        std::fs::write(dir.join("caserial"), "10\n").expect("serial");
        std::fs::write(dir.join("index.txt"), "").expect("index");
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let (cnf, root_key, root) = (f("tsa.cnf"), f("root.key"), f("root.pem"));
        let subject = format!("/O={name}/CN={name} root");
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend(["-keyout", &root_key, "-out", &root, "-subj", &subject]);
        args.extend(["-days", "2", "-config", &cnf, "-extensions", "ca_ext"]);
        openssl(&args);
        let (key, csr, leaf, old) = (f("tsa.key"), f("tsa.csr"), f("tsa.pem"), f("old.pem"));
        let subject = format!("/O={name}/CN={name}");
        let mut args = vec!["req", "-new"];
        args.extend(ec);
        args.extend(["-keyout", &key, "-out", &csr, "-subj", &subject]);
        openssl(&args);
        let mut args = vec!["x509", "-req", "-in", &csr, "-out", &leaf, "-CA", &root];
        args.extend(["-CAkey", &root_key, "-set_serial", "7", "-days", "1"]);
        args.extend(["-extfile", &cnf, "-extensions", "tsa_ext"]);
        openssl(&args);
        let mut args = vec!["ca", "-batch", "-config", &cnf, "-cert", &root];
        args.extend(["-keyfile", &root_key, "-in", &csr, "-out", &old, "-notext"]);
        args.extend([
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
        ]);
        args.extend(["-extfile", &cnf, "-extensions", "tsa_ext"]);
        openssl(&args);
        Self {
            dir,
            name: name.to_string(),
        }
    }

    /// A DER `TimeStampResp` over `data` (the imprint its SHA-256), signed with the TSA's
    /// certificate (with `expired`, the one that expired in 2020: `openssl ca` names it `CN=` only),
    /// which it carries.
    pub fn stamp(&self, data: &[u8], expired: bool) -> Vec<u8> {
        let f = |file: &str| path(&self.dir.join(file));
        std::fs::write(self.dir.join("data"), data).expect("data");
        let (query, reply) = (f("q.tsq"), f("r.tsr"));
        openssl(&[
            "ts",
            "-query",
            "-data",
            &f("data"),
            "-sha256",
            "-cert",
            "-out",
            &query,
        ]);
        let signer = f(if expired { "old.pem" } else { "tsa.pem" });
        openssl(&[
            "ts",
            "-reply",
            "-queryfile",
            &query,
            "-signer",
            &signer,
            "-inkey",
            &f("tsa.key"),
            "-config",
            &f("tsa.cnf"),
            "-out",
            &reply,
        ]);
        std::fs::read(self.dir.join("r.tsr")).expect("reply")
    }

    /// This TSA as a trusted root's `timestampAuthorities[]` entry (TSA certificate, then root).
    pub fn authority(&self) -> serde_json::Value {
        let der = |file: &str| {
            B64.encode(openssl(&[
                "x509",
                "-in",
                &path(&self.dir.join(file)),
                "-outform",
                "DER",
            ]))
        };
        json!({
            "subject": {"organization": self.name, "commonName": self.name},
            "uri": "https://tsa.test",
            "certChain": {"certificates": [{"rawBytes": der("tsa.pem")}, {"rawBytes": der("root.pem")}]},
            "validFor": {"start": "2019-01-01T00:00:00Z"}
        })
    }
}

/// `bundle` (JSON) with `stamps` as its RFC 3161 timestamps and, with `no_set`, its log
/// entries' SET and integrated time removed (proven by their inclusion proof alone).
pub fn stamped(bundle: &[u8], stamps: &[Vec<u8>], no_set: bool) -> Vec<u8> {
    let mut b: serde_json::Value = serde_json::from_slice(bundle).expect("bundle");
    let list: Vec<serde_json::Value> = stamps
        .iter()
        .map(|s| json!({"signedTimestamp": B64.encode(s)}))
        .collect();
    b["verificationMaterial"]["timestampVerificationData"] = json!({"rfc3161Timestamps": list});
    if no_set {
        for e in b["verificationMaterial"]["tlogEntries"]
            .as_array_mut()
            .expect("entries")
        {
            let e = e.as_object_mut().expect("entry");
            e.remove("inclusionPromise");
            e.remove("integratedTime");
        }
    }
    serde_json::to_vec(&b).expect("json")
}

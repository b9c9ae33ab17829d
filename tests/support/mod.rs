//! Integration-test support: a real `docker-registry` (docker/distribution 2.8) per test,
//! seeded from OCI image layouts with `skopeo`, plus a tiny raw HTTP client (via `curl`)
//! for test-derived cases.
//!
//! Every [`TestRegistry`] owns its own temp dir, storage, config and port, so tests run in
//! parallel. The registry is asked to listen on port 0 and the harness reads the port the
//! kernel gave it from the registry's own `listening on` log line: no free-port race.
//!
//! Only test code mutates registries (seeding, deriving, deleting); the product never does.
//!
//! External tools used (installed by `scripts/test.sh`): `docker-registry`, `skopeo`,
//! `curl`, `htpasswd` (for [`TestRegistryBuilder::htpasswd`]) and `openssl` (for
//! [`TestRegistryBuilder::tls_self_signed`]).
//!
//! The Amazon ECR API (a real `moto` server, a recording proxy and a fake) is in [`moto`].
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

pub mod attach;
pub mod layers;
pub mod moto;
pub mod notation;
pub mod proxy;
pub mod sandbox;
pub mod sigstore;
pub mod tmux;
pub mod token;
pub mod words;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Accept header naming every manifest type. docker-registry 2.8 answers 404 for an index
/// whose media type is not in Accept, so always send all four.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
const CURL_MAX_TIME_SECS: &str = "30";

/// Path of a docker/attest fixture layout: `unsigned-index`, `no-provenance-index`,
/// `unsigned-image`, `containerd-subject-layout` (see `tests/fixtures/SOURCE.md`).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docker-attest")
        .join(name)
}

/// The four docker/attest OCI layouts.
pub const FIXTURE_LAYOUTS: [&str; 4] = [
    "unsigned-index",
    "no-provenance-index",
    "unsigned-image",
    "containerd-subject-layout",
];

/// The `regscope` binary built by cargo for this test run.
pub fn regscope_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_regscope"))
}

/// What a spawned `regscope` must not inherit from the machine running the tests: the user's
/// own config, cache, logins, docker or podman credentials, AWS profile or XDG directories
/// would change its results.
pub const HOST_ENV: [&str; 26] = [
    "HOME",
    "REGSCOPE_CONFIG",
    "REGSCOPE_CACHE_DIR",
    "REGSCOPE_CACHE_TRUST",
    "REGSCOPE_CACHE_MAX_MB",
    "REGSCOPE_STATE_DIR",
    "REGSCOPE_CERTS_D",
    "REGSCOPE_USERNAME",
    "REGSCOPE_PASSWORD",
    "REGSCOPE_LOGINS_FILE",
    "REGSCOPE_KEYRING",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
    "DOCKER_CONFIG",
    "REGISTRY_AUTH_FILE",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
];

/// `program` without any of [`HOST_ENV`], with `home` as its HOME (so its config, cache and
/// docker config are looked for under it, where the test put them or nothing is) and
/// `NO_COLOR`. Variables a test sets afterwards win.
pub fn isolated_command(program: &Path, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    for var in HOST_ENV {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home).env("NO_COLOR", "1");
    cmd
}

/// The same as an argv prefix (`env -u … HOME=… NO_COLOR=1`), for a program started by tmux,
/// whose server hands it the environment of the test process.
pub fn isolated_env_argv(home: &Path) -> Vec<String> {
    let mut argv = vec!["env".to_string()];
    for var in HOST_ENV {
        argv.extend(["-u".to_string(), var.to_string()]);
    }
    argv.push(format!("HOME={}", home.display()));
    argv.push("NO_COLOR=1".to_string());
    argv
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The single descriptor of a layout's `index.json` (the thing `skopeo copy oci:DIR`
/// pushes). Panics unless there is exactly one entry. Note: for
/// `containerd-subject-layout` this entry is itself an image index.
pub fn layout_root(layout_dir: &Path) -> serde_json::Value {
    let path = layout_dir.join("index.json");
    let text = fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let index: serde_json::Value =
        serde_json::from_slice(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()));
    let manifests = index["manifests"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no manifests array", path.display()));
    assert_eq!(
        manifests.len(),
        1,
        "{}: expected exactly one manifest entry",
        path.display()
    );
    manifests[0].clone()
}

/// Digest of the layout's single root descriptor.
pub fn layout_root_digest(layout_dir: &Path) -> String {
    layout_root(layout_dir)["digest"]
        .as_str()
        .expect("root descriptor has a digest")
        .to_owned()
}

/// Raw bytes of a blob in an OCI layout (`blobs/<alg>/<hex>`).
pub fn layout_blob(layout_dir: &Path, digest: &str) -> Vec<u8> {
    let (alg, hex) = digest
        .split_once(':')
        .unwrap_or_else(|| panic!("bad digest {digest}"));
    let path = layout_dir.join("blobs").join(alg).join(hex);
    fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A parsed HTTP response from [`TestRegistry::request`].
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {}", self.body_text()))
    }
}

/// Options for [`TestRegistry`]; start with [`TestRegistry::builder`].
#[derive(Debug, Default, Clone)]
pub struct TestRegistryBuilder {
    htpasswd: Option<(String, String)>,
    tls: Option<TlsSource>,
    /// (realm, rootcertbundle, seeding credentials)
    token: Option<(String, PathBuf, (String, String))>,
}

#[derive(Debug, Clone)]
enum TlsSource {
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

impl TestRegistryBuilder {
    /// Require HTTP Basic auth for one user (bcrypt entry made with `htpasswd -Bbn`).
    /// docker-registry 2.8 accepts it over plain HTTP too.
    pub fn htpasswd(mut self, user: &str, password: &str) -> Self {
        self.htpasswd = Some((user.to_owned(), password.to_owned()));
        self
    }

    /// Serve HTTPS with this PEM certificate (chain) and key.
    pub fn tls(mut self, cert_pem: impl Into<PathBuf>, key_pem: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsSource::Files {
            cert: cert_pem.into(),
            key: key_pem.into(),
        });
        self
    }

    /// Serve HTTPS with a fresh test CA and a leaf for `127.0.0.1`/`localhost` made by
    /// `openssl`; the CA is [`TestRegistry::ca_cert`].
    pub fn tls_self_signed(mut self) -> Self {
        self.tls = Some(TlsSource::SelfSigned);
        self
    }

    /// Require bearer tokens from `issuer` (docker-registry `auth: token`); `seed_as` is a user
    /// the issuer knows, used by skopeo to seed.
    pub fn token_auth(mut self, issuer: &token::TokenIssuer, seed_as: (&str, &str)) -> Self {
        self.token = Some((
            issuer.realm.clone(),
            issuer.cert.clone(),
            (seed_as.0.to_owned(), seed_as.1.to_owned()),
        ));
        self
    }

    pub fn start(self) -> TestRegistry {
        TestRegistry::start_with(self)
    }
}

/// A running docker-registry 2.8, killed on drop.
pub struct TestRegistry {
    pub port: u16,
    /// `127.0.0.1:PORT`
    pub host: String,
    dir: tempfile::TempDir,
    child: Child,
    https: bool,
    ca_cert: Option<PathBuf>,
    credentials: Option<(String, String)>,
}

static SCRATCH_COUNTER: AtomicU64 = AtomicU64::new(0);

/// `docker-registry` on PATH, else the Debian location.
pub fn registry_bin() -> PathBuf {
    find_on_path("docker-registry").unwrap_or_else(|| PathBuf::from("/usr/bin/docker-registry"))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn run_ok(cmd: &mut Command, what: &str) -> Vec<u8> {
    let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| {
        panic!("{what}: cannot run {cmd:?}: {e} (run scripts/test.sh to install tools)")
    });
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Make a test CA and a server leaf for `127.0.0.1` and `localhost` in `dir`; returns
/// `(ca_pem, cert_pem, key_pem)`. The leaf has `CA:FALSE` and `serverAuth`, which rustls
/// requires (it rejects a CA certificate used as the end entity).
pub fn make_test_ca_and_leaf(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca = dir.join("ca.pem");
    let ca_key = dir.join("ca.key");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let csr = dir.join("leaf.csr");
    let ext = dir.join("leaf.ext");
    fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n\
         basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n",
    )
    .expect("write leaf.ext");
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run_ok(
        Command::new("openssl")
            .args(["req", "-x509"])
            .args(ec)
            .arg("-keyout")
            .arg(&ca_key)
            .arg("-out")
            .arg(&ca)
            .args(["-days", "2", "-subj", "/CN=regscope-test-ca"]),
        "openssl (CA)",
    );
    run_ok(
        Command::new("openssl")
            .arg("req")
            .args(ec)
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&csr)
            .args(["-subj", "/CN=127.0.0.1"]),
        "openssl (leaf CSR)",
    );
    run_ok(
        Command::new("openssl")
            .args(["x509", "-req", "-in"])
            .arg(&csr)
            .arg("-CA")
            .arg(&ca)
            .arg("-CAkey")
            .arg(&ca_key)
            .args(["-CAcreateserial", "-days", "2", "-out"])
            .arg(&cert)
            .arg("-extfile")
            .arg(&ext),
        "openssl (sign leaf)",
    );
    (ca, cert, key)
}

impl TestRegistry {
    /// Plain HTTP, no auth, deletes enabled.
    pub fn start() -> TestRegistry {
        Self::builder().start()
    }

    pub fn builder() -> TestRegistryBuilder {
        TestRegistryBuilder::default()
    }

    #[allow(clippy::too_many_lines)] // the registry's whole config, written in one place
    fn start_with(opts: TestRegistryBuilder) -> TestRegistry {
        let dir = tempfile::Builder::new()
            .prefix("regscope-registry-")
            .tempdir()
            .expect("create registry temp dir");
        let root = dir.path();
        let storage = root.join("storage");
        fs::create_dir_all(&storage).expect("create storage dir");

        // Level info: the harness needs the "listening on 127.0.0.1:PORT" line (port 0 is
        // resolved by the kernel, so parallel tests never race for a port). The access log
        // is off; each request still gets one "response completed" line.
        let mut yaml = String::new();
        let _ = write!(
            yaml,
            "version: 0.1\n\
             log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n  \
             maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: 127.0.0.1:0\n  secret: regscope-test-secret\n",
            storage = yaml_str(&storage),
        );

        let mut ca_cert = None;
        let https = opts.tls.is_some();
        if let Some(tls) = &opts.tls {
            let (cert, key) = match tls {
                TlsSource::Files { cert, key } => (cert.clone(), key.clone()),
                TlsSource::SelfSigned => {
                    let (ca, cert, key) = make_test_ca_and_leaf(root);
                    ca_cert = Some(ca);
                    (cert, key)
                }
            };
            let _ = write!(
                yaml,
                "  tls:\n    certificate: {}\n    key: {}\n",
                yaml_str(&cert),
                yaml_str(&key)
            );
        }
        if let Some((user, pass)) = &opts.htpasswd {
            let line = run_ok(
                Command::new("htpasswd").args(["-Bbn", user, pass]),
                "htpasswd -Bbn",
            );
            let htpasswd = root.join("htpasswd");
            fs::write(&htpasswd, line).expect("write htpasswd");
            let _ = write!(
                yaml,
                "auth:\n  htpasswd:\n    realm: regscope-test\n    path: {}\n",
                yaml_str(&htpasswd)
            );
        }

        if let Some((realm, cert, _)) = &opts.token {
            let _ = write!(
                yaml,
                "auth:\n  token:\n    realm: {realm}\n    service: {}\n    issuer: {}\n    rootcertbundle: {}\n",
                token::SERVICE,
                token::ISSUER,
                yaml_str(cert)
            );
        }

        let config = root.join("config.yml");
        fs::write(&config, &yaml).expect("write config.yml");
        let log_path = root.join("registry.log");
        let log = fs::File::create(&log_path).expect("create registry.log");
        let log_err = log.try_clone().expect("clone log handle");
        let bin = registry_bin();
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot spawn {}: {e} (run scripts/test.sh to install docker-registry)",
                    bin.display()
                )
            });

        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let port = loop {
            let text = fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(port) = parse_listening_port(&text) {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("docker-registry exited early ({status}); config:\n{yaml}\nlog:\n{text}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("docker-registry did not start within {STARTUP_TIMEOUT:?}; config:\n{yaml}\nlog:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };

        let registry = TestRegistry {
            port,
            host: format!("127.0.0.1:{port}"),
            dir,
            child,
            https,
            ca_cert,
            credentials: opts.htpasswd.or(opts.token.map(|t| t.2)),
        };

        // The port is bound once the line is logged; still wait for a real HTTP answer
        // (200, or 401 with htpasswd) on /v2/.
        loop {
            let resp = registry.try_request("GET", "/v2/", &[], None);
            if let Ok(resp) = &resp {
                if resp.status == 200 || resp.status == 401 {
                    break;
                }
            }
            assert!(
                Instant::now() <= deadline,
                "GET /v2/ on {} never answered: {resp:?}\nlog:\n{}",
                registry.host,
                registry.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.host
        )
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The test CA that signed the server certificate ([`TestRegistryBuilder::tls_self_signed`]).
    pub fn ca_cert(&self) -> Option<&Path> {
        self.ca_cert.as_deref()
    }

    /// `(user, password)` when started with [`TestRegistryBuilder::htpasswd`].
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// The registry's temp dir (config.yml, registry.log, storage/).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the registry logged so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// Push an OCI layout byte-exact (all manifests, `--preserve-digests`) to
    /// `host/<repo_tag>` with skopeo. The layout's index.json must hold exactly one entry
    /// (`oci:DIR` without a ref picks it); that entry becomes the tag.
    pub fn seed_layout(&self, layout_dir: &Path, repo_tag: &str) {
        self.seed_layout_ref(layout_dir, None, repo_tag);
    }

    /// Like [`seed_layout`](Self::seed_layout), choosing the layout entry by its
    /// `org.opencontainers.image.ref.name` annotation when given.
    pub fn seed_layout_ref(&self, layout_dir: &Path, layout_ref: Option<&str>, repo_tag: &str) {
        let layout = layout_dir
            .canonicalize()
            .unwrap_or_else(|e| panic!("layout {}: {e}", layout_dir.display()));
        let src = match layout_ref {
            Some(r) => format!("oci:{}:{r}", layout.display()),
            None => format!("oci:{}", layout.display()),
        };
        let dest = format!("docker://{}/{repo_tag}", self.host);
        let mut cmd = Command::new("skopeo");
        cmd.args([
            "--insecure-policy",
            "copy",
            "--quiet",
            "--all",
            "--preserve-digests",
            "--retry-times",
            "0",
            "--dest-tls-verify=false",
        ]);
        match self.credentials() {
            Some((u, p)) => cmd.arg("--dest-creds").arg(format!("{u}:{p}")),
            None => cmd.arg("--dest-no-creds"),
        };
        cmd.arg(&src).arg(&dest);
        // skopeo's temp files go to the registry's temp dir, not /var/tmp.
        cmd.env("TMPDIR", self.dir.path());
        let out = cmd.stdin(Stdio::null()).output().unwrap_or_else(|e| {
            panic!("cannot run skopeo: {e} (run scripts/test.sh to install it)")
        });
        assert!(
            out.status.success(),
            "skopeo copy {src} {dest} failed ({}):\n{}\nregistry log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// Seed one of the docker/attest [`fixture`] layouts.
    pub fn seed_fixture(&self, name: &str, repo_tag: &str) {
        self.seed_layout(&fixture(name), repo_tag);
    }

    /// One HTTP request via curl; `path` starts with `/` (e.g. `/v2/`) or is an absolute
    /// URL. Sends the registry's credentials if it has any. Panics only if curl cannot run.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> HttpResponse {
        self.try_request(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\nregistry log:\n{}", self.log()))
    }

    fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse, String> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url())
        };
        let n = SCRATCH_COUNTER.fetch_add(1, Ordering::Relaxed);
        let scratch = self.dir.path().join(format!("http-{n}"));
        fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        let head_file = scratch.join("headers");
        let body_file = scratch.join("body");

        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", CURL_MAX_TIME_SECS, "-H", "Expect:"]);
        cmd.arg("-D").arg(&head_file).arg("-o").arg(&body_file);
        cmd.args(["-w", "%{http_code}"]);
        if method == "HEAD" {
            cmd.arg("--head");
        } else {
            cmd.args(["-X", method]);
        }
        if self.https {
            // Harness traffic only; TLS verification is what the product's tests check.
            cmd.arg("-k");
        }
        if let Some((u, p)) = self.credentials() {
            cmd.arg("-u").arg(format!("{u}:{p}"));
        }
        for (k, v) in headers {
            cmd.arg("-H").arg(format!("{k}: {v}"));
        }
        if let Some(body) = body {
            let req_file = scratch.join("request");
            fs::File::create(&req_file)
                .and_then(|mut f| f.write_all(body))
                .map_err(|e| e.to_string())?;
            cmd.arg("--data-binary")
                .arg(format!("@{}", req_file.display()));
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                cmd.args(["-H", "Content-Type: application/octet-stream"]);
            }
        }
        cmd.arg(&url);
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run curl: {e} (run scripts/test.sh to install it)"))?;
        let result = if out.status.success() {
            let status = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse::<u16>()
                .map_err(|e| format!("curl status: {e}"))?;
            let raw_headers = fs::read_to_string(&head_file).unwrap_or_default();
            Ok(HttpResponse {
                status,
                headers: parse_last_header_block(&raw_headers),
                body: fs::read(&body_file).unwrap_or_default(),
            })
        } else {
            Err(format!(
                "curl {method} {url} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        };
        let _ = fs::remove_dir_all(&scratch);
        result
    }

    /// GET (or HEAD) a manifest with every manifest type in Accept.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> HttpResponse {
        self.request(
            "GET",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", MANIFEST_ACCEPT)],
            None,
        )
    }

    pub fn head_manifest(&self, repo: &str, reference: &str) -> HttpResponse {
        self.request(
            "HEAD",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Accept", MANIFEST_ACCEPT)],
            None,
        )
    }

    /// Upload a blob (POST a session, then monolithic PUT `?digest=`); returns its digest.
    /// docker-registry 2.8 ignores the single-POST `?digest=` form (answers 202 and opens
    /// a session), so this always uses two requests.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let start = self.request("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], None);
        assert_eq!(
            start.status,
            202,
            "start upload to {repo}: {}",
            start.body_text()
        );
        let location = start.header("location").expect("upload Location header");
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = self.request(
            "PUT",
            &format!("{location}{sep}digest={}", digest.replace(':', "%3A")),
            &[("Content-Type", "application/octet-stream")],
            Some(bytes),
        );
        assert_eq!(
            put.status,
            201,
            "PUT blob {digest} to {repo}: {}",
            put.body_text()
        );
        assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
        digest
    }

    /// PUT a manifest without checking the answer (for negative cases).
    pub fn try_put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> HttpResponse {
        self.request(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            Some(bytes),
        )
    }

    /// PUT a manifest under a tag or its digest; returns its digest. The registry refuses
    /// an image manifest whose config/layers are missing and an index whose children are.
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let digest = sha256_digest(bytes);
        let resp = self.try_put_manifest(repo, reference, media_type, bytes);
        assert_eq!(
            resp.status,
            201,
            "PUT manifest {repo}:{reference}: {}",
            resp.body_text()
        );
        assert_eq!(
            resp.header("docker-content-digest"),
            Some(digest.as_str()),
            "registry digest differs from sha256 of the bytes sent"
        );
        digest
    }

    /// Freezes the registry (SIGSTOP): connections are accepted by the kernel and never
    /// answered, as a registry that hangs or went away mid-request.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Lets a [`pause`](Self::pause)d registry run again (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .args([which, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {which} the registry");
    }

    /// Put a manifest into the registry's storage under `repo:tag`, as docker-registry 2.8
    /// lays it out on disk, without the API: for a real index whose children the test does
    /// not have (the API refuses such an index; serving it, the registry reads the files, so
    /// every read still goes through the real server). `repo` must exist (push a blob to it
    /// first). Returns the digest.
    pub fn place_manifest(&self, repo: &str, tag: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let hex = &digest["sha256:".len()..];
        let v2 = self.dir().join("storage/docker/registry/v2");
        let blob = v2.join(format!("blobs/sha256/{}/{hex}", &hex[..2]));
        fs::create_dir_all(&blob).expect("blob dir");
        fs::write(blob.join("data"), bytes).expect("blob data");
        let manifests = v2.join(format!("repositories/{repo}/_manifests"));
        assert!(
            v2.join(format!("repositories/{repo}")).is_dir(),
            "{repo} must exist before a manifest is placed in it"
        );
        for link in [
            format!("revisions/sha256/{hex}"),
            format!("tags/{tag}/current"),
            format!("tags/{tag}/index/sha256/{hex}"),
        ] {
            let dir = manifests.join(link);
            fs::create_dir_all(&dir).expect("link dir");
            fs::write(dir.join("link"), &digest).expect("link");
        }
        digest
    }

    /// DELETE a manifest by digest (tags pointing at it go with it; nothing else does —
    /// an index referring to it keeps referring).
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        let resp = self.request(
            "DELETE",
            &format!("/v2/{repo}/manifests/{digest}"),
            &[],
            None,
        );
        assert_eq!(
            resp.status,
            202,
            "DELETE {repo}@{digest}: {}",
            resp.body_text()
        );
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn yaml_str(path: &Path) -> String {
    // JSON strings are valid YAML double-quoted scalars.
    serde_json::to_string(&path.to_string_lossy()).expect("string to JSON")
}

fn parse_listening_port(log: &str) -> Option<u16> {
    let needle = "listening on 127.0.0.1:";
    let start = log.find(needle)? + needle.len();
    let digits: String = log[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// curl -D writes one block per response (e.g. `100 Continue` first); keep the last.
fn parse_last_header_block(raw: &str) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    for line in raw.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("HTTP/") {
            headers.clear();
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    headers
}

/// Copies a directory tree (a fixture layout a test is about to alter).
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A copy of fixture layout `name` without the blob `digest`: content deleted from the store,
/// as an ECR lifecycle rule deletes an index child.
pub fn layout_without(name: &str, digest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixture(name), dir.path());
    let hex = digest.trim_start_matches("sha256:");
    fs::remove_file(dir.path().join("blobs/sha256").join(hex)).expect("remove blob");
    dir
}

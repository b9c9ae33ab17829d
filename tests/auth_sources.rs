//! Credential lookup from docker and podman config, with fake credential helpers, in a temp HOME.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test
#![cfg(unix)]

mod support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use regscope::auth::{Resolved, Resolver, Source};
use regscope::registry::Credentials;
use support::sandbox::require_tool;

/// Every secret any test writes; none may show up in `Debug`, a note or a `Display`.
const SECRETS: &[&str] = &[
    "b64-secret-1",
    "plain-secret-2",
    "identity-token-3",
    "helper-secret-4",
    "store-secret-5",
    "garbage-secret-6",
    "stderr-secret-7",
    "podman-secret-8",
    "runtime-secret-9",
    "config-secret-10",
    "pass-secret-11",
    "broken-secret-12",
];

/// A temp HOME with `bin/` on the helpers' PATH, and the env map a `Resolver` is built from.
struct World {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    bin: PathBuf,
    vars: HashMap<String, String>,
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().to_path_buf();
        let home = root.join("home");
        let bin = root.join("bin");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::create_dir_all(&bin).expect("bin");
        let mut vars = HashMap::new();
        vars.insert("HOME".into(), home.display().to_string());
        // The fakes need sh, cat and sleep; their names cannot collide with installed helpers.
        vars.insert("PATH".into(), format!("{}:/usr/bin:/bin", bin.display()));
        vars.insert(
            "HELPER_LOG".into(),
            root.join("helper.log").display().to_string(),
        );
        Self {
            _dir: dir,
            root,
            home,
            bin,
            vars,
        }
    }

    #[allow(clippy::unused_self)] // a method, so every file a test writes goes through `self`
    fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn docker_config(&self, json: &str) -> PathBuf {
        let path = self.home.join(".docker/config.json");
        self.write(&path, json);
        path
    }

    /// `docker-credential-NAME` running `body` under `sh`; `get` only.
    fn helper(&self, name: &str, body: &str) {
        let path = self.bin.join(format!("docker-credential-{name}"));
        self.write(
            &path,
            &format!("#!/bin/sh\n[ \"$1\" = get ] || exit 2\n{body}\n"),
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    /// A helper that logs each server URL it is asked for and knows `server` only.
    fn answering_helper(&self, name: &str, server: &str, user: &str, secret: &str) {
        self.helper(
            name,
            &format!(
                r#"server=$(cat)
printf '%s %s\n' "{name}" "$server" >> "$HELPER_LOG"
if [ "$server" = "{server}" ]; then
  printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server"
else
  echo "credentials not found in native keychain"; exit 1
fi"#
            ),
        );
    }

    fn helper_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.root.join("helper.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn set(&mut self, var: &str, value: &Path) {
        self.vars.insert(var.into(), value.display().to_string());
    }

    fn resolver(&self) -> Resolver {
        Resolver::with_env(self.vars.clone()).with_helper_timeout(Duration::from_secs(2))
    }

    async fn resolve(&self, registry: &str) -> Resolved {
        let r = self.resolver().resolve(registry).await;
        assert_no_secret(&r);
        r
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn assert_no_secret(r: &Resolved) {
    let shown = format!("{r:?} {} {}", r.source, r.notes.join("\n"));
    for secret in SECRETS {
        assert!(!shown.contains(secret), "`{secret}` leaked: {shown}");
    }
}

fn creds(r: &Resolved) -> (String, String) {
    let c = r.credentials.as_ref().expect("credentials");
    (c.username.clone(), c.secret().to_string())
}

fn pair(user: &str, secret: &str) -> (String, String) {
    (user.to_string(), secret.to_string())
}

#[tokio::test]
async fn auths_with_base64_auth() {
    let w = World::new();
    let file = w.docker_config(&format!(
        r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
        b64("alice:b64-secret-1")
    ));
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::DockerAuths { file });
    assert_eq!(creds(&r), pair("alice", "b64-secret-1"));
    assert!(!r.identity_token);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
}

#[tokio::test]
async fn auths_with_username_and_password() {
    let w = World::new();
    w.docker_config(
        r#"{"auths": {"registry.example:5000": {"username": "bob", "password": "plain-secret-2"}}}"#,
    );
    let r = w.resolve("registry.example:5000").await;
    assert_eq!(creds(&r), pair("bob", "plain-secret-2"));
}

#[tokio::test]
async fn auths_with_identity_token() {
    let w = World::new();
    w.docker_config(
        r#"{"auths": {"myacr.azurecr.io": {"auth": "", "identitytoken": "identity-token-3"}}}"#,
    );
    let r = w.resolve("myacr.azurecr.io").await;
    assert!(r.identity_token);
    assert_eq!(creds(&r).1, "identity-token-3");
}

#[tokio::test]
async fn config_keys_match_by_host_and_port() {
    let w = World::new();
    w.docker_config(&format!(
        r#"{{"auths": {{
            "https://ghcr.io": {{"auth": "{a}"}},
            "quay.io": {{"auth": "{b}"}},
            "http://localhost:5000/v2/": {{"auth": "{c}"}},
            "https://registry.gitlab.com/v1/": {{"auth": "{d}"}}
        }}}}"#,
        a = b64("a:b64-secret-1"),
        b = b64("b:b64-secret-1"),
        c = b64("c:b64-secret-1"),
        d = b64("d:b64-secret-1"),
    ));
    let user = |r: &Resolved| r.credentials.as_ref().map(|c| c.username.clone());
    assert_eq!(user(&w.resolve("ghcr.io").await).as_deref(), Some("a"));
    assert_eq!(user(&w.resolve("GHCR.io").await).as_deref(), Some("a"));
    assert_eq!(user(&w.resolve("quay.io").await).as_deref(), Some("b"));
    assert_eq!(
        user(&w.resolve("localhost:5000").await).as_deref(),
        Some("c")
    );
    assert_eq!(
        user(&w.resolve("registry.gitlab.com").await).as_deref(),
        Some("d")
    );
    // Host and port compare exactly: no suffix, prefix or port-less matches.
    for other in ["localhost", "localhost:5001", "ghcr.io.evil.example", "io"] {
        let r = w.resolve(other).await;
        assert_eq!(r.source, Source::Anonymous, "{other}");
    }
}

#[tokio::test]
async fn docker_hub_aliases_share_one_key() {
    let w = World::new();
    let file = w.docker_config(&format!(
        r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{}"}}}}}}"#,
        b64("hubber:b64-secret-1")
    ));
    for name in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
        let r = w.resolve(name).await;
        assert_eq!(
            r.source,
            Source::DockerAuths { file: file.clone() },
            "{name}"
        );
        assert_eq!(creds(&r).0, "hubber");
    }
}

#[tokio::test]
async fn docker_hub_helpers_are_asked_for_the_v1_url() {
    let w = World::new();
    w.answering_helper(
        "fake-hub",
        "https://index.docker.io/v1/",
        "hubber",
        "helper-secret-4",
    );
    w.docker_config(r#"{"credHelpers": {"https://index.docker.io/v1/": "fake-hub"}}"#);
    let r = w.resolve("docker.io").await;
    assert_eq!(creds(&r), pair("hubber", "helper-secret-4"));
    assert_eq!(w.helper_log(), ["fake-hub https://index.docker.io/v1/"]);
}

#[tokio::test]
async fn cred_helpers_beat_creds_store_beat_auths() {
    let w = World::new();
    w.answering_helper(
        "fake-per-registry",
        "ghcr.io",
        "helper-user",
        "helper-secret-4",
    );
    w.answering_helper("fake-store", "quay.io", "store-user", "store-secret-5");
    let file = w.docker_config(&format!(
        r#"{{
            "credHelpers": {{"ghcr.io": "fake-per-registry"}},
            "credsStore": "fake-store",
            "auths": {{
                "ghcr.io": {{"auth": "{a}"}},
                "quay.io": {{"auth": "{a}"}},
                "gcr.io": {{"auth": "{a}"}}
            }}
        }}"#,
        a = b64("file-user:plain-secret-2")
    ));

    let r = w.resolve("ghcr.io").await;
    assert_eq!(
        r.source,
        Source::DockerCredHelper {
            helper: "fake-per-registry".into(),
            file: file.clone()
        }
    );
    assert_eq!(creds(&r), pair("helper-user", "helper-secret-4"));
    assert!(r.notes.is_empty(), "{:?}", r.notes);

    let r = w.resolve("quay.io").await;
    assert_eq!(
        r.source,
        Source::DockerCredsStore {
            helper: "fake-store".into(),
            file: file.clone()
        }
    );
    assert_eq!(creds(&r), pair("store-user", "store-secret-5"));

    let r = w.resolve("gcr.io").await;
    assert_eq!(r.source, Source::DockerAuths { file });
    assert_eq!(creds(&r), pair("file-user", "plain-secret-2"));
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].contains("docker-credential-fake-store"),
        "{:?}",
        r.notes
    );
    assert!(
        r.notes[0].contains("has no credentials for gcr.io"),
        "{:?}",
        r.notes
    );
}

#[test]
fn source_display_names_helper_and_file() {
    let s = Source::DockerCredsStore {
        helper: "pass".into(),
        file: "/h/.docker/config.json".into(),
    };
    assert_eq!(
        s.describe(Some(Path::new("/h"))),
        "docker-credential-pass (credsStore in ~/.docker/config.json)"
    );
}

/// Each broken helper: `(name, script, words the note must contain)`.
const BROKEN: &[(&str, Option<&str>, &str)] = &[
    ("fake-missing", None, "not installed"),
    (
        "fake-hang",
        Some(r#"echo $$ > "$HELPER_PID"; exec sleep 30"#),
        "did not answer within 2 s and was killed",
    ),
    (
        "fake-exit1",
        Some("cat >/dev/null; echo stderr-secret-7 >&2; echo stderr-secret-7; exit 1"),
        "failed (exit status 1)",
    ),
    (
        "fake-garbage",
        Some("cat >/dev/null; echo 'Secret: garbage-secret-6 {not json'"),
        "not a credentials JSON object",
    ),
    (
        "fake-empty",
        Some(r#"server=$(cat); printf '{"ServerURL":"%s","Username":"","Secret":""}' "$server""#),
        "empty secret for ghcr.io",
    ),
];

#[tokio::test]
async fn broken_helpers_fall_through_to_auths_with_a_note() {
    let mut handles = Vec::new();
    for (name, script, reason) in BROKEN {
        handles.push(tokio::spawn(async move {
            let mut w = World::new();
            let pid_file = w.root.join("helper.pid");
            w.set("HELPER_PID", &pid_file);
            if let Some(script) = script {
                w.helper(name, script);
            }
            let file = w.docker_config(&format!(
                r#"{{"credsStore": "{name}", "auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
                b64("file-user:plain-secret-2")
            ));
            let started = Instant::now();
            let r = w.resolve("ghcr.io").await;
            let elapsed = started.elapsed();
            assert!(elapsed < Duration::from_secs(10), "{name} took {elapsed:?}");
            assert_eq!(r.source, Source::DockerAuths { file }, "{name}");
            assert_eq!(creds(&r), pair("file-user", "plain-secret-2"));
            assert_eq!(r.notes.len(), 1, "{name}: {:?}", r.notes);
            let note = &r.notes[0];
            assert!(
                note.contains(&format!("docker-credential-{name}")),
                "{note}"
            );
            assert!(
                note.contains("credsStore in ~/.docker/config.json"),
                "{note}"
            );
            assert!(note.contains(reason), "{note}");
            if *name == "fake-hang" {
                let pid = std::fs::read_to_string(&pid_file).expect("the helper ran");
                let proc = PathBuf::from(format!("/proc/{}", pid.trim()));
                assert!(!proc.exists(), "the hung helper is still running");
            }
        }));
    }
    for h in handles {
        h.await.expect("case passes");
    }
}

#[tokio::test]
async fn cred_helper_failure_tries_creds_store_next() {
    let w = World::new();
    w.helper("fake-exit1", "cat >/dev/null; exit 1");
    w.answering_helper("fake-store", "ghcr.io", "store-user", "store-secret-5");
    w.docker_config(r#"{"credHelpers": {"ghcr.io": "fake-exit1"}, "credsStore": "fake-store"}"#);
    let r = w.resolve("ghcr.io").await;
    assert_eq!(creds(&r), pair("store-user", "store-secret-5"));
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("docker-credential-fake-exit1 (credHelpers in"));
}

#[tokio::test]
async fn creds_store_is_also_asked_under_the_key_docker_login_wrote() {
    let w = World::new();
    w.answering_helper(
        "fake-store",
        "https://ghcr.io",
        "old-login",
        "store-secret-5",
    );
    w.docker_config(r#"{"credsStore": "fake-store", "auths": {"https://ghcr.io": {}}}"#);
    let r = w.resolve("ghcr.io").await;
    assert_eq!(creds(&r), pair("old-login", "store-secret-5"));
    assert_eq!(
        w.helper_log(),
        ["fake-store ghcr.io", "fake-store https://ghcr.io"]
    );
}

#[tokio::test]
async fn helpers_run_once_per_registry() {
    let w = World::new();
    w.answering_helper("fake-store", "ghcr.io", "u", "store-secret-5");
    w.docker_config(r#"{"credsStore": "fake-store"}"#);
    let resolver = w.resolver();
    let (a, b) = tokio::join!(resolver.resolve("ghcr.io"), resolver.resolve("ghcr.io"));
    let c = resolver.resolve("https://ghcr.io/").await;
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(w.helper_log().len(), 1, "{:?}", w.helper_log());
}

#[tokio::test]
async fn helper_with_identity_token() {
    let w = World::new();
    w.answering_helper(
        "fake-acr",
        "myacr.azurecr.io",
        "<token>",
        "identity-token-3",
    );
    w.docker_config(r#"{"credHelpers": {"myacr.azurecr.io": "fake-acr"}}"#);
    let r = w.resolve("myacr.azurecr.io").await;
    assert!(r.identity_token);
    assert_eq!(creds(&r).1, "identity-token-3");
}

#[tokio::test]
async fn docker_config_env_var_replaces_home() {
    let mut w = World::new();
    w.docker_config(&format!(
        r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
        b64("home-user:b64-secret-1")
    ));
    let dir = w.root.join("docker-config");
    let file = dir.join("config.json");
    w.write(
        &file,
        &format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
            b64("env-user:config-secret-10")
        ),
    );
    w.set("DOCKER_CONFIG", &dir);
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::DockerAuths { file });
    assert_eq!(creds(&r).0, "env-user");
}

#[tokio::test]
async fn malformed_docker_config_is_noted_and_skipped() {
    let w = World::new();
    w.docker_config(r#"{"auths": {"ghcr.io": {"auth": "broken-secret-12"#);
    let podman = w.home.join(".config/containers/auth.json");
    w.write(
        &podman,
        &format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
            b64("pod:podman-secret-8")
        ),
    );
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::Podman { file: podman });
    assert_eq!(r.notes.len(), 1, "{:?}", r.notes);
    assert!(
        r.notes[0].starts_with("~/.docker/config.json is not valid JSON: "),
        "{:?}",
        r.notes
    );
}

#[tokio::test]
async fn undecodable_auths_entry_is_noted() {
    let w = World::new();
    w.docker_config(r#"{"auths": {"ghcr.io": {"auth": "broken-secret-12!"}}}"#);
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::Anonymous);
    assert_eq!(r.notes.len(), 1);
    assert!(r.notes[0].contains("not valid base64"), "{:?}", r.notes);
}

#[tokio::test]
async fn podman_files_in_precedence_order() {
    let mut w = World::new();
    let entry =
        |user: &str, secret: &str| format!(r#"{{"auth": "{}"}}"#, b64(&format!("{user}:{secret}")));
    let auth_file = w.root.join("explicit-auth.json");
    let runtime = w.root.join("run");
    let runtime_file = runtime.join("containers/auth.json");
    let config_file = w.home.join(".config/containers/auth.json");
    w.write(
        &auth_file,
        &format!(
            r#"{{"auths": {{"a.example": {}}}}}"#,
            entry("explicit", "podman-secret-8")
        ),
    );
    w.write(
        &runtime_file,
        &format!(
            r#"{{"auths": {{"a.example": {}, "b.example": {}, "quay.io/org": {}}}}}"#,
            entry("runtime", "runtime-secret-9"),
            entry("runtime", "runtime-secret-9"),
            entry("runtime", "runtime-secret-9"),
        ),
    );
    w.write(
        &config_file,
        &format!(
            r#"{{"auths": {{"a.example": {e}, "b.example": {e}, "c.example": {e}}}}}"#,
            e = entry("config", "config-secret-10")
        ),
    );
    w.set("REGISTRY_AUTH_FILE", &auth_file);
    w.set("XDG_RUNTIME_DIR", &runtime);

    let r = w.resolve("a.example").await;
    assert_eq!(r.source, Source::Podman { file: auth_file });
    assert_eq!(creds(&r).0, "explicit");
    let r = w.resolve("b.example").await;
    assert_eq!(
        r.source,
        Source::Podman {
            file: runtime_file.clone()
        }
    );
    let r = w.resolve("c.example").await;
    assert_eq!(
        r.source,
        Source::Podman {
            file: config_file.clone()
        }
    );
    // A namespace key is not a registry-wide login, but the note says it is there.
    let r = w.resolve("quay.io").await;
    assert_eq!(r.source, Source::Anonymous);
    assert!(
        r.notes.iter().any(|n| n.contains("quay.io/org")),
        "{:?}",
        r.notes
    );

    // XDG_CONFIG_HOME moves the last file.
    let xdg = w.root.join("xdg");
    w.set("XDG_CONFIG_HOME", &xdg);
    let xdg_file = xdg.join("containers/auth.json");
    w.write(
        &xdg_file,
        &format!(
            r#"{{"auths": {{"c.example": {}}}}}"#,
            entry("xdg", "config-secret-10")
        ),
    );
    let r = w.resolve("c.example").await;
    assert_eq!(r.source, Source::Podman { file: xdg_file });
}

#[tokio::test]
async fn docker_beats_podman() {
    let w = World::new();
    let docker = w.docker_config(&format!(
        r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
        b64("docker:b64-secret-1")
    ));
    w.write(
        &w.home.join(".config/containers/auth.json"),
        &format!(
            r#"{{"auths": {{"ghcr.io": {{"auth": "{}"}}}}}}"#,
            b64("pod:podman-secret-8")
        ),
    );
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::DockerAuths { file: docker });
}

#[tokio::test]
async fn nothing_configured_is_anonymous() {
    let w = World::new();
    let r = w.resolve("ghcr.io").await;
    assert_eq!(r.source, Source::Anonymous);
    assert_eq!(r.credentials, None);
    assert!(r.notes.is_empty(), "{:?}", r.notes);
    // No HOME at all: still anonymous, nothing read.
    let r = Resolver::with_env(HashMap::new()).resolve("ghcr.io").await;
    assert_eq!(r.source, Source::Anonymous);
}

#[test]
fn configured_registries_lists_every_named_registry() {
    let mut w = World::new();
    let docker = w.docker_config(&format!(
        r#"{{
            "credHelpers": {{"gcr.io": "gcloud"}},
            "credsStore": "desktop",
            "auths": {{
                "https://index.docker.io/v1/": {{}},
                "http://localhost:5000/v2/": {{"auth": "{}"}}
            }}
        }}"#,
        b64("u:b64-secret-1")
    ));
    let runtime = w.root.join("run");
    let podman = runtime.join("containers/auth.json");
    w.write(&podman, r#"{"auths": {"quay.io/org": {}, "gcr.io": {}}}"#);
    w.set("XDG_RUNTIME_DIR", &runtime);
    let listed = w.resolver().configured_registries();
    assert_eq!(
        listed,
        vec![
            (
                "docker.io".to_string(),
                Source::DockerCredsStore {
                    helper: "desktop".into(),
                    file: docker.clone()
                }
            ),
            (
                "gcr.io".to_string(),
                Source::DockerCredHelper {
                    helper: "gcloud".into(),
                    file: docker.clone()
                }
            ),
            (
                "gcr.io".to_string(),
                Source::Podman {
                    file: podman.clone()
                }
            ),
            (
                "localhost:5000".to_string(),
                Source::DockerAuths { file: docker }
            ),
            ("quay.io".to_string(), Source::Podman { file: podman }),
        ]
    );
    assert!(w.helper_log().is_empty());
}

#[test]
fn explicit_credentials_are_a_source_too() {
    let r = Resolved::explicit(Credentials::new("me", "plain-secret-2"));
    assert_eq!(r.source, Source::Explicit);
    assert_no_secret(&r);
}

/// The real `docker-credential-pass` (Debian: golang-docker-credential-helpers, pass, gnupg)
/// with a throwaway `GnuPG` key and password store. Fails, naming the package, when one is not
/// installed (scripts/test.sh installs them).
#[tokio::test]
async fn real_docker_credential_pass() {
    let system_path = std::env::var("PATH").unwrap_or_default();
    for (tool, package) in [
        ("docker-credential-pass", "golang-docker-credential-helpers"),
        ("pass", "pass"),
        ("gpg", "gnupg"),
        ("gpgconf", "gpgconf"), // gnupg depends on it
    ] {
        require_tool(tool, package);
    }
    let mut w = World::new();
    let gnupg = w.root.join("gnupg");
    std::fs::create_dir_all(&gnupg).expect("gnupg dir");
    std::fs::set_permissions(&gnupg, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    w.set("GNUPGHOME", &gnupg);
    w.set("PASSWORD_STORE_DIR", &w.home.join(".password-store"));
    w.vars.insert("PATH".into(), system_path);
    let run = |args: &[&str], input: Option<&str>| {
        use std::io::Write as _;
        let mut child = std::process::Command::new(args[0])
            .args(&args[1..])
            .envs(&w.vars)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(input.unwrap_or("").as_bytes())
            .expect("write stdin");
        drop(stdin);
        assert!(child.wait().expect("wait").success(), "{args:?} failed");
    };
    let id = "regscope-test@example.invalid";
    run(
        &[
            "gpg",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            id,
            "default",
            "default",
            "never",
        ],
        None,
    );
    run(&["pass", "init", id], None);
    run(
        &["docker-credential-pass", "store"],
        Some(r#"{"ServerURL":"ghcr.io","Username":"pass-user","Secret":"pass-secret-11"}"#),
    );
    let file = w.docker_config(r#"{"credsStore": "pass", "auths": {"ghcr.io": {}}}"#);
    let resolver = Resolver::with_env(w.vars.clone());
    let found = resolver.resolve("ghcr.io").await;
    let unknown = resolver.resolve("quay.io").await;
    // The agent gpg started for this GNUPGHOME would otherwise outlive the test.
    run(&["gpgconf", "--kill", "gpg-agent"], None);

    assert_no_secret(&found);
    assert_eq!(
        found.source,
        Source::DockerCredsStore {
            helper: "pass".into(),
            file
        }
    );
    assert_eq!(creds(&found), pair("pass-user", "pass-secret-11"));
    // pass answers an unknown server with exit 0 and an empty secret.
    assert_no_secret(&unknown);
    assert_eq!(unknown.source, Source::Anonymous);
    assert!(
        unknown.notes.iter().any(|n| n.contains("docker-credential-pass")
            && n.contains("empty secret for quay.io")),
        "{:?}",
        unknown.notes
    );
}

//! The docker credential-helper protocol: `docker-credential-NAME get`, server URL on stdin,
//! `{"ServerURL","Username","Secret"}` on stdout.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;

use super::entry::TOKEN_USERNAME;
use crate::registry::Credentials;

/// A helper's answer is a few hundred bytes; more than this is not an answer.
pub const MAX_OUTPUT: u64 = 1024 * 1024;

/// What helpers print (on stdout, exit 1) when they hold nothing for the server.
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";

/// How to run helpers: where to find them and what they see.
#[derive(Debug, Clone, Default)]
pub struct HelperEnv {
    /// The `PATH` to search for `docker-credential-*`; also the helper's own `PATH`.
    pub path: Option<std::ffi::OsString>,
    /// Variables set on the helper process on top of the inherited environment (tests use
    /// this to give a helper its own `HOME`, `GNUPGHOME`, …).
    pub vars: Vec<(String, String)>,
    pub timeout: Duration,
}

/// Credentials a helper returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperCredentials {
    pub credentials: Credentials,
    /// `Username` was `<token>`: the secret is an identity (OAuth refresh) token.
    pub identity_token: bool,
}

/// Why a helper gave nothing usable. Never carries the helper's output: on failure helpers
/// print free text that may echo what they were handling; stderr is not read at all.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("`{0}` is not a credential helper name")]
    BadName(String),
    #[error("not installed (no {0} on PATH)")]
    NotInstalled(String),
    #[error("could not be started: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("did not answer within {} s and was killed", .0.as_secs_f32())]
    TimedOut(Duration),
    #[error("has no credentials for {0}")]
    NotFound(String),
    #[error("returned an empty secret for {0} (treated as not found)")]
    EmptySecret(String),
    #[error("failed ({0})")]
    Failed(String),
    #[error("printed something that is not a credentials JSON object")]
    Garbage,
    #[error("printed more than 1 MiB")]
    TooLarge,
    #[error("could not be talked to: {0}")]
    Io(#[source] std::io::Error),
}

impl HelperError {
    /// Whether asking the same helper under another server URL may still succeed.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound(_) | Self::EmptySecret(_))
    }
}

/// `docker-credential-NAME`.
#[must_use]
pub fn program_name(helper: &str) -> String {
    format!("docker-credential-{helper}")
}

/// Asks helper `name` for `server_url`'s credentials, killing it after `env.timeout`.
pub async fn get(
    name: &str,
    server_url: &str,
    env: &HelperEnv,
) -> Result<HelperCredentials, HelperError> {
    // Docker appends the name to `docker-credential-` and runs that from PATH; a name with a
    // path separator would run something else entirely.
    if name.is_empty() || name.contains(['/', '\\']) || name.contains('\0') {
        return Err(HelperError::BadName(crate::sanitize::sanitize(name).into()));
    }
    let program = program_name(name);
    let binary = find_on_path(&program, env.path.as_deref())
        .ok_or_else(|| HelperError::NotInstalled(program.clone()))?;

    let mut cmd = Command::new(&binary);
    cmd.arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    if let Some(path) = &env.path {
        cmd.env("PATH", path);
    }
    cmd.envs(env.vars.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.spawn().map_err(HelperError::Spawn)?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();

    let talk = async {
        if let Some(mut stdin) = stdin {
            // Docker sends the URL without a newline. A helper that exits without reading
            // makes this fail with EPIPE; its exit status tells the story, not this.
            let _ = stdin.write_all(server_url.as_bytes()).await;
            let _ = stdin.shutdown().await;
        }
        let mut out = Vec::new();
        if let Some(stdout) = stdout {
            stdout
                .take(MAX_OUTPUT + 1)
                .read_to_end(&mut out)
                .await
                .map_err(HelperError::Io)?;
        }
        if out.len() as u64 > MAX_OUTPUT {
            return Err(HelperError::TooLarge);
        }
        let status = child.wait().await.map_err(HelperError::Io)?;
        Ok((status, out))
    };
    let outcome = tokio::time::timeout(env.timeout, talk).await;
    let (status, out) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            kill(&mut child).await;
            return Err(e);
        }
        Err(_) => {
            kill(&mut child).await;
            return Err(HelperError::TimedOut(env.timeout));
        }
    };
    parse_reply(status, &out, server_url)
}

async fn kill(child: &mut tokio::process::Child) {
    let _ = child.start_kill();
    // Reap it so no zombie is left; bounded in case the kill did not take.
    let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
}

/// Reads a helper's reply to `get`: its exit status and what it printed (public for the fuzzer).
pub fn parse_reply(
    status: ExitStatus,
    out: &[u8],
    server_url: &str,
) -> Result<HelperCredentials, HelperError> {
    #[derive(serde::Deserialize)]
    struct Reply {
        #[serde(rename = "Username", default)]
        username: Option<String>,
        #[serde(rename = "Secret", default)]
        secret: Option<String>,
    }
    let shown_server = crate::sanitize::sanitize(server_url).into_owned();
    if !status.success() {
        // The one message compared, never repeated: the others are free text.
        if String::from_utf8_lossy(out).trim() == NOT_FOUND_MESSAGE {
            return Err(HelperError::NotFound(shown_server));
        }
        return Err(HelperError::Failed(describe_status(status)));
    }
    let reply: Reply = serde_json::from_slice(out).map_err(|_| HelperError::Garbage)?;
    let secret = reply.secret.unwrap_or_default();
    // docker-credential-pass answers an unknown server with exit 0 and an empty secret.
    if secret.is_empty() {
        return Err(HelperError::EmptySecret(shown_server));
    }
    let username = reply.username.unwrap_or_default();
    let identity_token = username == TOKEN_USERNAME;
    Ok(HelperCredentials {
        credentials: Credentials::new(username, secret),
        identity_token,
    })
}

fn describe_status(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".into(),
    }
}

/// The first executable `program` in the directories of `path`.
fn find_on_path(program: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    let path = path?;
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| candidates(&dir, program))
        .find(|p| is_executable(p))
}

fn candidates(dir: &Path, program: &str) -> Vec<PathBuf> {
    let plain = dir.join(program);
    if cfg!(windows) {
        vec![dir.join(format!("{program}.exe")), plain]
    } else {
        vec![plain]
    }
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt as _;

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    #[test]
    fn parses_replies() {
        let ok = parse_reply(
            exit(0),
            br#"{"ServerURL":"ghcr.io","Username":"u","Secret":"s"}"#,
            "ghcr.io",
        )
        .expect("credentials");
        assert_eq!(ok.credentials, Credentials::new("u", "s"));
        assert!(!ok.identity_token);
        let tok =
            parse_reply(exit(0), br#"{"Username":"<token>","Secret":"t"}"#, "x").expect("token");
        assert!(tok.identity_token);
        assert!(matches!(
            parse_reply(exit(0), br#"{"Username":"u","Secret":""}"#, "x"),
            Err(HelperError::EmptySecret(_))
        ));
        assert!(matches!(
            parse_reply(exit(0), b"hello", "x"),
            Err(HelperError::Garbage)
        ));
        assert!(matches!(
            parse_reply(exit(1), b"credentials not found in native keychain\n", "x"),
            Err(HelperError::NotFound(_))
        ));
        let failed = parse_reply(exit(3), b"secret-ish text", "x").expect_err("fails");
        assert_eq!(failed.to_string(), "failed (exit status 3)");
    }

    #[test]
    fn bad_names_are_refused() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let env = HelperEnv {
            path: Some("/usr/bin".into()),
            timeout: Duration::from_secs(1),
            ..HelperEnv::default()
        };
        assert!(matches!(
            rt.block_on(get("../../bin/sh", "x", &env)),
            Err(HelperError::BadName(_))
        ));
        assert!(matches!(
            rt.block_on(get("surely-not-installed-xyz", "x", &env)),
            Err(HelperError::NotInstalled(_))
        ));
    }
}

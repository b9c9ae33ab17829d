//! The plain file that lists regscope's own logins: registry, username and which OS keyring
//! holds the secret. It never holds a secret; [`super::keyring`] puts those in the keyring.
//!
//! The file is `$REGSCOPE_LOGINS_FILE`, else `$XDG_CONFIG_HOME/regscope/logins.toml`, else
//! `~/.config/regscope/logins.toml`:
//!
//! ```toml
//! [registries."ghcr.io"]
//! username = "alice"
//! backend = "secret-service"
//! ```

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which keyring holds a login's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// The freedesktop Secret Service on the D-Bus session bus.
    SecretService,
    /// The Linux kernel key retention service; gone after a reboot.
    Keyutils,
}

impl Backend {
    /// Human name: `the Secret Service`, `the Linux kernel keyring (keyutils)`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SecretService => "the Secret Service",
            Self::Keyutils => "the Linux kernel keyring (keyutils)",
        }
    }

    /// The name `REGSCOPE_KEYRING` and the logins file use.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::SecretService => "secret-service",
            Self::Keyutils => "keyutils",
        }
    }

    /// Whether a secret stored here survives a reboot.
    #[must_use]
    pub fn persistent(self) -> bool {
        matches!(self, Self::SecretService)
    }

    /// The line `regscope login` prints on success, saying where the secret went and, for
    /// the kernel keyring, that it will not survive a reboot.
    #[must_use]
    pub fn success_message(self, registry: &str, username: &str) -> String {
        let registry = super::registry_host(registry);
        let shown = |s: &str| crate::sanitize::sanitize(s).into_owned();
        let base = format!(
            "Logged in to {} as {}; the secret is in {}",
            shown(&registry),
            shown(username),
            self.name()
        );
        match self {
            Self::SecretService => format!("{base}."),
            Self::Keyutils => format!(
                "{base}, which does not survive a reboot (run `regscope login {}` again after \
                 one, or use `docker login` for a lasting login).",
                shown(&registry)
            ),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One registry's login, as the plain file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    /// The keyring the secret went to: lookups ask only that one, so a user who never
    /// logged in (or logged in to the kernel keyring) never wakes a Secret Service up.
    pub backend: Backend,
}

/// Logins by canonical registry name (see [`super::registry_host`]), sorted.
pub type Logins = BTreeMap<String, Login>;

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    registries: Logins,
}

/// Why the logins file could not be found, read or written.
#[derive(Debug, thiserror::Error)]
pub enum LoginsError {
    #[error("no place for the logins file: neither REGSCOPE_LOGINS_FILE, XDG_CONFIG_HOME nor HOME is set")]
    NoPlace,
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The parser's message quotes the offending line; the file never holds a secret.
    #[error("{} is not a valid logins file: {message}", .path.display())]
    Parse { path: PathBuf, message: String },
}

/// Where the logins file is (it may not exist yet).
pub fn path() -> Result<PathBuf, LoginsError> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(p) = var("REGSCOPE_LOGINS_FILE") {
        return Ok(PathBuf::from(p));
    }
    // XDG says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    if let Some(x) = var("XDG_CONFIG_HOME").filter(|x| Path::new(x).is_absolute()) {
        return Ok(PathBuf::from(x).join("regscope").join("logins.toml"));
    }
    var("HOME")
        .map(|h| PathBuf::from(h).join(".config/regscope/logins.toml"))
        .ok_or(LoginsError::NoPlace)
}

/// The logins in `path`; a missing file is no logins.
pub fn load(path: &Path) -> Result<Logins, LoginsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Logins::new()),
        Err(source) => {
            return Err(LoginsError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    toml::from_str::<File>(&text)
        .map(|f| f.registries)
        .map_err(|e| LoginsError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })
}

/// Replaces `path` with `logins` atomically (temp file + rename), so a crash never leaves a
/// half-written file that would hide every login. Private to the user: it names registries.
pub fn save(path: &Path, logins: &Logins) -> Result<(), LoginsError> {
    let io = |source| LoginsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let body = toml::to_string(&File {
        registries: logins.clone(),
    })
    .map_err(|e| io(std::io::Error::other(e)))?;
    let text = format!(
        "# regscope logins: registry, username and keyring only. The secrets are in the OS \
         keyring;\n# `regscope logout REGISTRY` removes both.\n{body}"
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(io)?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        path.file_name().map_or_else(
            || "logins.toml".into(),
            |n| n.to_string_lossy().into_owned()
        ),
        std::process::id()
    ));
    let written = write_private(&tmp, text.as_bytes()).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Best effort: the temp file holds nothing secret, it is only clutter.
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_missing_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/logins.toml");
        assert!(load(&path).expect("load").is_empty());
        let mut logins = Logins::new();
        logins.insert(
            "localhost:5000".into(),
            Login {
                username: "alice".into(),
                backend: Backend::Keyutils,
            },
        );
        save(&path, &logins).expect("save");
        assert_eq!(load(&path).expect("load"), logins);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("[registries.\"localhost:5000\"]"), "{text}");
        assert!(text.contains("backend = \"keyutils\""), "{text}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("logins.toml");
        std::fs::write(
            &path,
            "[registries.\"x.io\"]\nusername = \"a\"\nbackend = \"keyutils\"\npassword = \"p\"\n",
        )
        .expect("write");
        let err = load(&path).expect_err("password key refused");
        assert!(matches!(err, LoginsError::Parse { .. }), "{err}");
    }
}

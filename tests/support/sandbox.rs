//! A throw-away user for tests that run the binary: its own HOME, XDG dirs, docker and regscope
//! config, state dir, `bin/` for fake credential helpers, `GnuPG` home and password store, and a
//! D-Bus address where nothing listens, so nothing of the real user's setup is read or written.
//!
//! The environment is handed over either to a [`Command`] or, for a program run inside tmux, as
//! an `env -u … VAR=… program args` argv.
//!
//! Tools for [`Sandbox::in_keyring_session`] (Debian packages, installed by `scripts/test.sh`):
//! `dbus-run-session` (dbus-daemon), `gnome-keyring-daemon` (gnome-keyring).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The password that unlocks a sandbox's throw-away GNOME keyring.
pub const KEYRING_PASSWORD: &str = "throwaway-keyring-pw";

/// Variables a sandboxed program must not inherit: they would point it at the real user's
/// credentials or change which keyring it uses.
pub const UNSET: [&str; 8] = [
    "REGSCOPE_LOGINS_FILE",
    "REGSCOPE_KEYRING",
    "REGSCOPE_USERNAME",
    "REGSCOPE_PASSWORD",
    "REGISTRY_AUTH_FILE",
    // The cache lives under the sandbox's XDG_CACHE_HOME, not where the user points it.
    "REGSCOPE_CACHE_DIR",
    "REGSCOPE_CACHE_TRUST",
    "REGSCOPE_CACHE_MAX_MB",
];

/// Logs in to GNOME Keyring's Secret Service (unlocking the sandbox's login keyring, made on
/// first use), then runs the arguments; `KEYRING_TEST_PW` holds the keyring password.
const KEYRING_SCRIPT: &str = "printf %s \"$KEYRING_TEST_PW\" | gnome-keyring-daemon --unlock \
     --components=secrets >/dev/null || exit 97; unset KEYRING_TEST_PW; exec \"$@\"";

pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for sub in [
            "home/.docker",
            "config/regscope",
            "data",
            "cache",
            "state",
            "run",
            "bin",
            "gnupg",
            "certs.d",
        ] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        #[cfg(unix)]
        for private in ["run", "gnupg"] {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(
                dir.path().join(private),
                std::fs::Permissions::from_mode(0o700),
            )
            .expect("chmod");
        }
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// On the sandbox's PATH, before the system's: fake `docker-credential-*` helpers go here.
    pub fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }

    /// Where regscope keeps its logins in this sandbox (`$XDG_CONFIG_HOME/regscope/…`).
    pub fn logins_file(&self) -> PathBuf {
        self.path().join("config/regscope/logins.toml")
    }

    /// `REGSCOPE_CONFIG`.
    pub fn config_file(&self) -> PathBuf {
        self.path().join("config/regscope/config.toml")
    }

    /// `REGSCOPE_STATE_DIR` (the TUI's recent list).
    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state")
    }

    /// Writes `$DOCKER_CONFIG/config.json`.
    pub fn docker_config(&self, config: &serde_json::Value) {
        std::fs::write(
            self.home().join(".docker/config.json"),
            serde_json::to_vec_pretty(config).expect("json"),
        )
        .expect("write docker config");
    }

    /// Writes regscope's config file.
    pub fn regscope_config(&self, toml: &str) {
        std::fs::write(self.config_file(), toml).expect("write config.toml");
    }

    /// `bin/docker-credential-NAME`: a shell script with `body`.
    pub fn helper(&self, name: &str, body: &str) -> PathBuf {
        let path = self.bin().join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write helper");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod helper");
        }
        path
    }

    /// The variables a sandboxed program gets (besides losing [`UNSET`]); the D-Bus address is
    /// a socket where nothing listens.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let p = |s: &str| self.path().join(s).display().to_string();
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
        vec![
            ("HOME", p("home")),
            ("XDG_CONFIG_HOME", p("config")),
            ("XDG_DATA_HOME", p("data")),
            ("XDG_CACHE_HOME", p("cache")),
            ("XDG_STATE_HOME", p("state")),
            ("XDG_RUNTIME_DIR", p("run")),
            ("DOCKER_CONFIG", p("home/.docker")),
            ("REGSCOPE_CONFIG", p("config/regscope/config.toml")),
            ("REGSCOPE_STATE_DIR", p("state")),
            ("REGSCOPE_CERTS_D", p("certs.d")),
            ("GNUPGHOME", p("gnupg")),
            ("PASSWORD_STORE_DIR", p("home/.password-store")),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", p("run/no-bus-here")),
            ),
            ("PATH", format!("{}:{path}", p("bin"))),
            ("NO_COLOR", "1".into()),
        ]
    }

    /// `program` with this sandbox's environment.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.vars());
        for var in UNSET {
            cmd.env_remove(var);
        }
        cmd
    }

    /// `env -u … VAR=… program args`: the same, as an argv (for tmux, which starts the program
    /// from its own server's environment).
    pub fn argv(&self, program: &Path, args: &[&str]) -> Vec<String> {
        self.env_argv(&[], &[], program, args)
    }

    /// [`argv`](Self::argv) without the variables `unset` and with `extra` ones (which win
    /// over the sandbox's).
    pub fn env_argv(
        &self,
        unset: &[&str],
        extra: &[(&str, &str)],
        program: &Path,
        args: &[&str],
    ) -> Vec<String> {
        let mut argv = vec!["env".to_string()];
        // `env` takes options only before the first assignment.
        for var in UNSET.iter().chain(unset) {
            argv.extend(["-u".to_string(), (*var).to_string()]);
        }
        let replaced = |name: &str| unset.contains(&name) || extra.iter().any(|(n, _)| *n == name);
        for (name, value) in self.vars() {
            if !replaced(name) {
                argv.push(format!("{name}={value}"));
            }
        }
        argv.extend(extra.iter().map(|(n, v)| format!("{n}={v}")));
        argv.push(program.display().to_string());
        argv.extend(args.iter().map(|a| (*a).to_string()));
        argv
    }

    /// `program args` inside a fresh D-Bus session with GNOME Keyring's Secret Service
    /// running and its login keyring unlocked. The keyring lives in this sandbox's
    /// `XDG_DATA_HOME`, so a later session sees what an earlier one stored, as after a
    /// re-login.
    pub fn in_keyring_session(&self, program: &Path, args: &[&str]) -> Command {
        require_keyring_tools();
        let mut cmd = self.command(Path::new("dbus-run-session"));
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("KEYRING_TEST_PW", KEYRING_PASSWORD)
            .args(["--", "sh", "-c", KEYRING_SCRIPT, "sh"])
            .arg(program)
            .args(args);
        cmd
    }

    /// The same as an argv for tmux: the program (a TUI) runs on the session's bus, and the
    /// session (bus and keyring daemon) ends when it exits.
    pub fn keyring_session_argv(&self, program: &Path, args: &[&str]) -> Vec<String> {
        require_keyring_tools();
        // dbus-run-session sets the address of the bus it starts; ours would be inherited.
        let mut argv = self.env_argv(
            &["DBUS_SESSION_BUS_ADDRESS"],
            &[("KEYRING_TEST_PW", KEYRING_PASSWORD)],
            Path::new("dbus-run-session"),
            &["--", "sh", "-c", KEYRING_SCRIPT, "sh"],
        );
        // The bus and keyring daemons inherit stderr, which here is the pane: their "activated
        // service" lines landed on the TUI's screen. They get /dev/null; the TUI gets its
        // terminal back (the pane is its controlling tty).
        let mut wrapped: Vec<String> = ["sh", "-c", "exec 2>/dev/null; exec \"$@\"", "sh"]
            .map(String::from)
            .to_vec();
        wrapped.append(&mut argv);
        wrapped.extend(["sh", "-c", "exec 2>/dev/tty; exec \"$@\"", "sh"].map(String::from));
        wrapped.push(program.display().to_string());
        wrapped.extend(args.iter().map(|a| (*a).to_string()));
        wrapped
    }

    /// Every file under the sandbox whose bytes contain `needle` (GNOME Keyring's own file is
    /// encrypted, so it never matches).
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        fn walk(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                match entry.file_type() {
                    Ok(t) if t.is_dir() => walk(&path, needle, out),
                    Ok(t) if t.is_file() => {
                        if let Ok(bytes) = std::fs::read(&path) {
                            if bytes.windows(needle.len()).any(|w| w == needle) {
                                out.push(path);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), needle.as_bytes(), &mut out);
        out
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

fn require_keyring_tools() {
    require_tool("dbus-run-session", "dbus-daemon");
    require_tool("gnome-keyring-daemon", "gnome-keyring");
}

/// Fails the test with the Debian package to install when `bin` is not on PATH.
pub fn require_tool(bin: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()));
    assert!(
        found,
        "`{bin}` is not on PATH: install the Debian package `{package}` (scripts/test.sh does)"
    );
}

/// The variable that lets a test skip what this machine cannot provide: a comma-separated list
/// of feature names (`keyring`). Unset, nothing may be skipped.
pub const ALLOW_SKIP: &str = "REGSCOPE_ALLOW_SKIP";

/// For a test that cannot run here because the machine lacks `feature` (`reason` says what
/// failed): fails the test unless [`ALLOW_SKIP`] names the feature; when it does, prints the
/// line `SKIPPED: <test>: <reason>` that `scripts/test.sh` counts, and the caller returns.
pub fn skip(feature: &str, test: &str, reason: &str) {
    let allowed =
        std::env::var(ALLOW_SKIP).is_ok_and(|list| list.split(',').any(|f| f.trim() == feature));
    assert!(
        allowed,
        "{test}: {reason}; set {ALLOW_SKIP}={feature} to skip this test on a machine that \
         cannot provide it"
    );
    // Straight to the process's stderr in one write: libtest captures `eprintln!` of a
    // passing test, and the line must reach the log test.sh counts.
    let line = format!("SKIPPED: {test}: {reason}\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
}

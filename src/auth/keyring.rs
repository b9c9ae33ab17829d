//! regscope's own logins (`regscope login` / `regscope logout`): the secret goes to the OS
//! keyring, and only the registry, the username and the keyring's name go to a plain file
//! ([`super::logins`]). A secret is never written to a plain file: with no keyring reachable,
//! [`store`] fails and points at `docker login`, whose store regscope reads.
//!
//! Keyrings, tried in this order on Linux:
//!
//! 1. the **Secret Service** (GNOME Keyring, `KWallet`, `KeePassXC`) on the D-Bus session bus,
//!    spoken to in pure Rust (zbus; no libdbus). The item has the attributes
//!    `service=regscope`, `username=<registry>`, so
//!    `secret-tool lookup service regscope username ghcr.io` finds it too;
//! 2. when no Secret Service is reachable: the **Linux kernel keyring** (keyutils): key
//!    `regscope:<registry>` in the user keyring, readable by the user's processes only
//!    (`keyctl print %user:regscope:ghcr.io`). It lives in kernel memory: it does **not
//!    survive a reboot**.
//!
//! `REGSCOPE_KEYRING=secret-service|keyutils` restricts [`store`] to one of them (default
//! `auto`: both, in that order).
//!
//! Other systems have no keyring backend yet: [`store`] fails there with the `docker login`
//! hint, and [`lookup`] finds nothing.
//!
//! Every keyring call runs on its own thread with a deadline ([`LOOKUP_TIMEOUT`],
//! [`CHANGE_TIMEOUT`]): D-Bus calls block, and a hung keyring daemon must not hang regscope.
//! A call past its deadline is abandoned (its thread ends with the process).
//!
//! Secrets never reach `Debug`, errors or notes: errors are rebuilt from the keyring error's
//! kind, never from the bytes a keyring returned.

use std::sync::mpsc;
use std::time::Duration;

pub use super::logins::Backend;
use super::logins::{self, Login, LoginsError};
use crate::registry::Credentials;

/// The keyring service every regscope secret is stored under; the account is the registry.
pub const SERVICE: &str = "regscope";

/// How long [`lookup`] waits for the keyring: it runs on every registry access, like a
/// credential helper (the same 5 s as [`super::DEFAULT_HELPER_TIMEOUT`]).
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long [`store`] and [`remove`] wait: longer, as the Secret Service may show an unlock
/// prompt that the user has to answer.
pub const CHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a login could not be stored, found or removed. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "no OS keyring is reachable ({tried}), and regscope never writes a secret to a plain \
         file: run `docker login {registry}` instead, which regscope reads"
    )]
    Unavailable { registry: String, tried: String },
    #[error("{backend} could not {action} the secret for {registry}: {reason}")]
    Backend {
        backend: Backend,
        registry: String,
        action: &'static str,
        reason: String,
    },
    #[error(
        "{backend} did not answer within {} s while asked to {action} the secret for \
         {registry}; set REGSCOPE_KEYRING to another keyring or run `docker login {registry}` \
         instead",
        .timeout.as_secs()
    )]
    Timeout {
        backend: Backend,
        registry: String,
        action: &'static str,
        timeout: Duration,
    },
    #[error(
        "the login for {registry} is listed, but its secret is no longer in {backend}{hint}: \
         run `regscope login {registry}` again"
    )]
    Missing {
        registry: String,
        backend: Backend,
        hint: &'static str,
    },
    #[error("{0}")]
    Logins(#[from] LoginsError),
    #[error("{what} {why}")]
    Invalid {
        what: &'static str,
        why: &'static str,
    },
    #[error("REGSCOPE_KEYRING is `{0}`, expected auto, secret-service or keyutils")]
    BadChoice(String),
}

/// Stores `secret` for `registry` in the first reachable keyring, then records the registry
/// and `username` (not the secret) in the logins file. Replaces an earlier login; when that
/// one's secret was in another keyring, it is deleted there.
pub fn store(registry: &str, username: &str, secret: &str) -> Result<Backend, KeyringError> {
    let registry = canonical(registry)?;
    if username.is_empty() {
        return Err(KeyringError::Invalid {
            what: "the username",
            why: "is empty",
        });
    }
    if username.chars().any(char::is_control) {
        return Err(KeyringError::Invalid {
            what: "the username",
            why: "contains a control character",
        });
    }
    if secret.is_empty() {
        // The kernel keyring cannot hold an empty key, and an empty password is a mistake.
        return Err(KeyringError::Invalid {
            what: "the password",
            why: "is empty",
        });
    }
    let path = logins::path()?;
    // Read first: a broken file is reported before anything is stored.
    let mut all = logins::load(&path)?;

    let mut tried = Vec::new();
    let mut stored = None;
    for backend in choice()? {
        match op::set(backend, &registry, secret) {
            Ok(()) => {
                stored = Some(backend);
                break;
            }
            Err(Failure::Unreachable(reason)) => tried.push(format!("{}: {reason}", backend.id())),
            Err(f) => return Err(f.into_error(backend, &registry, "store")),
        }
    }
    let Some(backend) = stored else {
        if tried.is_empty() {
            tried.push("no keyring backend on this system".into());
        }
        return Err(KeyringError::Unavailable {
            registry,
            tried: tried.join("; "),
        });
    };

    let previous = all.insert(
        registry.clone(),
        Login {
            username: username.to_string(),
            backend,
        },
    );
    if let Err(e) = logins::save(&path, &all) {
        // Without the file entry the secret would be unreachable clutter: take it back out.
        let _ = op::delete(backend, &registry);
        return Err(e.into());
    }
    if let Some(old) = previous.filter(|old| old.backend != backend) {
        // Best effort: the old keyring may be gone; the file no longer points at it.
        let _ = op::delete(old.backend, &registry);
    }
    Ok(backend)
}

/// Removes `registry`'s login: the secret from its keyring and the line from the logins
/// file. `Ok(false)` when there was none. A secret that is listed but cannot be deleted
/// (its keyring is unreachable) is an error, and the login stays listed.
pub fn remove(registry: &str) -> Result<bool, KeyringError> {
    let registry = canonical(registry)?;
    let path = logins::path()?;
    let mut all = logins::load(&path)?;
    let listed = all.get(&registry).map(|l| l.backend);

    let mut existed = listed.is_some();
    match listed {
        Some(backend) => match op::delete(backend, &registry) {
            Ok(found) => existed |= found,
            // A kernel keyring is empty after a reboot: nothing left to delete.
            Err(Failure::Unreachable(_)) if backend == Backend::Keyutils => {}
            Err(f) => return Err(f.into_error(backend, &registry, "delete")),
        },
        None => {
            // Not listed (a lost or hand-edited file): clean up any stray secret in the
            // keyrings regscope would use, skipping the unreachable ones.
            for backend in choice()? {
                match op::delete(backend, &registry) {
                    Ok(found) => existed |= found,
                    Err(Failure::Unreachable(_)) => {}
                    Err(f) => return Err(f.into_error(backend, &registry, "delete")),
                }
            }
        }
    }
    if all.remove(&registry).is_some() {
        logins::save(&path, &all)?;
    }
    Ok(existed)
}

/// The credentials `regscope login` stored for `registry` (canonical name), or `None` when
/// there is no login or its secret cannot be read (see [`find`] for why).
///
/// Only a registry listed in the logins file is looked up, and only in the keyring it was
/// stored in: a user without logins never waits on a keyring.
#[must_use]
pub fn lookup(registry: &str) -> Option<Credentials> {
    find(registry).ok().flatten()
}

/// Like [`lookup`], with the reason when a listed login's secret cannot be read.
pub fn find(registry: &str) -> Result<Option<Credentials>, KeyringError> {
    let registry = canonical(registry)?;
    let path = logins::path()?;
    let Some(login) = logins::load(&path)?.remove(&registry) else {
        return Ok(None);
    };
    let backend = login.backend;
    match op::get(backend, &registry) {
        Ok(Some(secret)) => Ok(Some(Credentials::new(login.username, secret))),
        Ok(None) => Err(KeyringError::Missing {
            registry,
            backend,
            hint: match backend {
                Backend::Keyutils => " (it does not survive a reboot)",
                Backend::SecretService => "",
            },
        }),
        Err(f) => Err(f.into_error(backend, &registry, "read")),
    }
}

/// Every login in the logins file as `(registry, username)`, sorted by registry; empty when
/// the file is missing or unreadable (see [`login_records`] for the error).
#[must_use]
pub fn logins() -> Vec<(String, String)> {
    login_records()
        .map(|all| all.into_iter().map(|(r, l)| (r, l.username)).collect())
        .unwrap_or_default()
}

/// Every login with the keyring it is in, sorted by registry.
pub fn login_records() -> Result<Vec<(String, Login)>, KeyringError> {
    let path = logins::path()?;
    Ok(logins::load(&path)?.into_iter().collect())
}

/// Where the logins file is (for messages); it may not exist.
pub fn logins_file() -> Result<std::path::PathBuf, KeyringError> {
    Ok(logins::path()?)
}

fn canonical(registry: &str) -> Result<String, KeyringError> {
    let host = super::registry_host(registry);
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(KeyringError::Invalid {
            what: "the registry name",
            why: "is empty or has whitespace in it",
        });
    }
    Ok(host)
}

/// The keyrings [`store`] may use, in order, from `REGSCOPE_KEYRING`.
fn choice() -> Result<Vec<Backend>, KeyringError> {
    let value = std::env::var("REGSCOPE_KEYRING").unwrap_or_default();
    let all = op::AVAILABLE.to_vec();
    match value.trim() {
        "" | "auto" => Ok(all),
        v => {
            let wanted = [Backend::SecretService, Backend::Keyutils]
                .into_iter()
                .find(|b| b.id() == v)
                .ok_or_else(|| KeyringError::BadChoice(crate::sanitize::sanitize(v).into()))?;
            Ok(all.into_iter().filter(|b| *b == wanted).collect())
        }
    }
}

/// How one keyring call failed.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
enum Failure {
    /// The keyring is not there (no Secret Service on the bus, keyutils not permitted): the
    /// next keyring may be tried.
    Unreachable(String),
    /// The keyring is there and refused (locked, prompt dismissed, …).
    Refused(String),
    TimedOut(Duration),
}

impl Failure {
    fn into_error(self, backend: Backend, registry: &str, action: &'static str) -> KeyringError {
        match self {
            Self::Unreachable(reason) | Self::Refused(reason) => KeyringError::Backend {
                backend,
                registry: registry.to_string(),
                action,
                reason,
            },
            Self::TimedOut(timeout) => KeyringError::Timeout {
                backend,
                registry: registry.to_string(),
                action,
                timeout,
            },
        }
    }
}

/// Runs `f` on its own thread and waits at most `timeout` for it.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn with_deadline<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("regscope-keyring".into())
        .spawn(move || {
            // The receiver is gone only when the caller gave up waiting.
            let _ = tx.send(f());
        })
        .map_err(|e| Failure::Refused(format!("cannot start a thread: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(result) => result,
        Err(_) => Err(Failure::TimedOut(timeout)),
    }
}

#[cfg(target_os = "linux")]
mod op {
    //! The keyring calls. Each opens its keyring explicitly: no process-global default store,
    //! so the Secret Service and keyutils never get mixed up between calls.

    use super::{Backend, Failure, CHANGE_TIMEOUT, LOOKUP_TIMEOUT};

    pub(super) const AVAILABLE: &[Backend] = &[Backend::SecretService, Backend::Keyutils];

    pub(super) fn set(backend: Backend, registry: &str, secret: &str) -> Result<(), Failure> {
        let registry = registry.to_string();
        let secret = secret.to_string();
        super::with_deadline(CHANGE_TIMEOUT, move || match backend {
            Backend::SecretService => secret_service::set(&registry, &secret),
            Backend::Keyutils => keyutils::set(&registry, &secret),
        })
    }

    /// `Ok(None)` when there is no such secret.
    pub(super) fn get(backend: Backend, registry: &str) -> Result<Option<String>, Failure> {
        let registry = registry.to_string();
        super::with_deadline(LOOKUP_TIMEOUT, move || match backend {
            Backend::SecretService => secret_service::get(&registry),
            Backend::Keyutils => keyutils::get(&registry),
        })
    }

    /// `Ok(true)` when a secret was deleted, `Ok(false)` when there was none.
    pub(super) fn delete(backend: Backend, registry: &str) -> Result<bool, Failure> {
        let registry = registry.to_string();
        super::with_deadline(CHANGE_TIMEOUT, move || match backend {
            Backend::SecretService => secret_service::delete(&registry),
            Backend::Keyutils => keyutils::delete(&registry),
        })
    }

    mod secret_service {
        //! Through keyring-core's zbus Secret Service store: item attributes
        //! `service=regscope`, `username=<registry>`, in the default collection.

        use std::collections::HashMap;

        use keyring_core::{api::CredentialStoreApi as _, Entry, Error};
        use zbus_secret_service_keyring_store::Store;

        use super::super::{Failure, SERVICE};

        pub(super) fn set(registry: &str, secret: &str) -> Result<(), Failure> {
            entry(registry)?
                .set_password(secret)
                .map_err(|e| refused(&e))
        }

        pub(super) fn get(registry: &str) -> Result<Option<String>, Failure> {
            match entry(registry)?.get_password() {
                Ok(secret) => Ok(Some(secret)),
                Err(Error::NoEntry) => Ok(None),
                Err(e) => Err(refused(&e)),
            }
        }

        pub(super) fn delete(registry: &str) -> Result<bool, Failure> {
            match entry(registry)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(Error::NoEntry) => Ok(false),
                Err(e) => Err(refused(&e)),
            }
        }

        fn entry(registry: &str) -> Result<Entry, Failure> {
            // Connecting opens a session with the service: this is where "no Secret Service
            // on the bus" shows up, and only there may the next keyring be tried.
            let store = Store::new().map_err(|e| Failure::Unreachable(describe(&e)))?;
            let label = format!("regscope login for {registry}");
            let modifiers = HashMap::from([("label", label.as_str())]);
            store
                .build(SERVICE, registry, Some(&modifiers))
                .map_err(|e| refused(&e))
        }

        fn refused(e: &Error) -> Failure {
            Failure::Refused(describe(e))
        }

        /// The error without any payload the keyring returned (a malformed or non-UTF-8
        /// secret must not end up in a message).
        fn describe(e: &Error) -> String {
            let reason = match e {
                Error::PlatformFailure(inner) => inner.to_string(),
                Error::NoStorageAccess(inner) => format!("no access (locked?): {inner}"),
                Error::NoEntry => "no such secret".into(),
                Error::BadEncoding(_) => "the stored secret is not UTF-8".into(),
                Error::BadDataFormat(..) => "the stored secret is malformed".into(),
                Error::BadStoreFormat(why) => format!("malformed store: {why}"),
                Error::TooLong(what, max) => format!("the {what} is longer than {max}"),
                Error::Invalid(what, why) => format!("invalid {what}: {why}"),
                Error::Ambiguous(items) => format!("{} matching secrets", items.len()),
                Error::NotSupportedByStore(why) => format!("not supported: {why}"),
                _ => "unexpected keyring error".into(),
            };
            crate::sanitize::sanitize(&reason).into_owned()
        }
    }

    mod keyutils {
        //! The kernel keyring, through linux-keyutils directly: key `regscope:<registry>`
        //! (type `user`) in the user keyring (`@u`), which every process of the user shares
        //! until reboot.
        //!
        //! Not through linux-keyutils-keyring-store: it keeps keys in the session keyring
        //! and links them into the persistent keyring, which fails with "access denied" in a
        //! process that has no session keyring of its own (no `pam_keyinit`: CI, containers,
        //! services), and a session keyring is not shared across logins anyway.

        use linux_keyutils::{
            KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
        };

        use super::super::Failure;

        pub(super) fn set(registry: &str, secret: &str) -> Result<(), Failure> {
            let ring = user_keyring()?;
            let key = ring
                .add_key(&description(registry), secret)
                .map_err(|e| failure(e, true))?;
            // By default only a "possessor" may read the key, and a process possesses the
            // user keyring only through its session keyring, which a service or a `su`
            // shell may not link. Let the owning user (and no one else) read it from any
            // of their processes, as the Secret Service does.
            let perms = KeyPermissionsBuilder::builder()
                .posessor(Permission::ALL)
                .user(Permission::ALL)
                .build();
            if let Err(e) = key.set_perms(perms) {
                let _ = key.invalidate();
                return Err(failure(e, false));
            }
            Ok(())
        }

        pub(super) fn get(registry: &str) -> Result<Option<String>, Failure> {
            let ring = user_keyring()?;
            let key = match ring.search(&description(registry)) {
                Ok(k) => k,
                Err(e) if gone(e) => return Ok(None),
                Err(e) => return Err(failure(e, false)),
            };
            match key.read_to_vec() {
                Ok(bytes) => String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| Failure::Refused("the stored secret is not UTF-8".into())),
                Err(e) if gone(e) => Ok(None),
                Err(e) => Err(failure(e, false)),
            }
        }

        pub(super) fn delete(registry: &str) -> Result<bool, Failure> {
            let ring = user_keyring()?;
            let key = match ring.search(&description(registry)) {
                Ok(k) => k,
                Err(e) if gone(e) => return Ok(false),
                Err(e) => return Err(failure(e, false)),
            };
            match key.invalidate() {
                Ok(()) => Ok(true),
                Err(e) if gone(e) => Ok(false),
                Err(e) => Err(failure(e, false)),
            }
        }

        fn description(registry: &str) -> String {
            format!("regscope:{registry}")
        }

        fn user_keyring() -> Result<KeyRing, Failure> {
            KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(|e| failure(e, true))
        }

        /// Errors that mean "no such key" (an invalidated key lingers for a moment).
        fn gone(e: KeyError) -> bool {
            matches!(
                e,
                KeyError::KeyDoesNotExist | KeyError::KeyRevoked | KeyError::KeyExpired
            )
        }

        /// A keyutils error in words (the variants `failure` does not name itself).
        fn key_error_words(e: KeyError) -> String {
            match e {
                KeyError::KeyExpired => "the key has expired".into(),
                KeyError::KeyRevoked => "the key was revoked".into(),
                KeyError::KeyRejected => "the key was rejected".into(),
                KeyError::KeyDoesNotExist => "no such key".into(),
                KeyError::KeyringDoesNotExist => "the keyring does not exist".into(),
                KeyError::OutOfMemory => "the kernel is out of memory for keys".into(),
                KeyError::MissingFileOrDirectory => {
                    "keyutils is not installed (no /sbin/request-key)".into()
                }
                KeyError::Unknown(errno) => {
                    format!(
                        "keyctl failed ({})",
                        std::io::Error::from_raw_os_error(errno)
                    )
                }
                _ => "keyctl refused the request".into(),
            }
        }

        /// `reaching`: the error came from getting at the keyring at all, where a denial means
        /// keyutils is not usable here (keyctl filtered by seccomp, as docker's default
        /// profile does, or no kernel support).
        fn failure(e: KeyError, reaching: bool) -> Failure {
            let reason = match e {
                KeyError::QuotaExceeded => "the kernel keyring quota is full".to_string(),
                KeyError::OperationNotSupported => "keyutils is not supported".to_string(),
                KeyError::AccessDenied | KeyError::PermissionDenied => "access denied".to_string(),
                // The crate's `Display` is its `Debug` (`Unknown(22)`): say it in words.
                other => key_error_words(other),
            };
            let unusable = matches!(
                e,
                KeyError::AccessDenied
                    | KeyError::PermissionDenied
                    | KeyError::OperationNotSupported
                    | KeyError::Unknown(_)
            );
            if reaching && unusable {
                Failure::Unreachable(reason)
            } else {
                Failure::Refused(reason)
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod op {
    //! No keyring backend on this system yet: nothing is stored or found.

    use super::{Backend, Failure};

    pub(super) const AVAILABLE: &[Backend] = &[];

    pub(super) fn set(_: Backend, _: &str, _: &str) -> Result<(), Failure> {
        Err(Failure::Unreachable("not available on this system".into()))
    }

    pub(super) fn get(_: Backend, _: &str) -> Result<Option<String>, Failure> {
        Err(Failure::Unreachable("not available on this system".into()))
    }

    pub(super) fn delete(_: Backend, _: &str) -> Result<bool, Failure> {
        Err(Failure::Unreachable("not available on this system".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_never_show_a_secret_and_name_docker_login() {
        let e = KeyringError::Unavailable {
            registry: "ghcr.io".into(),
            tried: "secret-service: no bus; keyutils: denied".into(),
        };
        let text = e.to_string();
        assert!(text.contains("docker login ghcr.io"), "{text}");
        assert!(text.starts_with("no OS keyring is reachable"), "{text}");
    }

    #[test]
    fn keyutils_success_says_it_does_not_survive_a_reboot() {
        let text = Backend::Keyutils.success_message("https://GHCR.io/v2/", "alice");
        assert!(text.contains("ghcr.io as alice"), "{text}");
        assert!(text.contains("does not survive a reboot"), "{text}");
        assert!(!Backend::SecretService
            .success_message("ghcr.io", "alice")
            .contains("reboot"));
    }

    #[test]
    fn backends_serialise_with_their_ids() {
        for b in [Backend::SecretService, Backend::Keyutils] {
            assert_eq!(
                serde_json::to_value(b).expect("json"),
                serde_json::Value::String(b.id().into())
            );
        }
    }
}

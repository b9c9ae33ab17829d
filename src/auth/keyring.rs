//! regscope's own logins (`regscope login`, stored in the OS keyring): not implemented yet.

use crate::registry::Credentials;

/// The credentials `regscope login` stored for `registry` (canonical name).
///
/// TODO(keyring): look `registry` up with the `keyring` crate (service `regscope`, user = the
/// registry name) once `regscope login` exists. Until then nothing is stored, so nothing is
/// found and the lookup goes on to docker's config.
#[must_use]
pub fn lookup(_registry: &str) -> Option<Credentials> {
    None
}

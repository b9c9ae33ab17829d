//! Podman's (containers/image) `auth.json` files: the docker `auths` format, keys may name a
//! namespace (`quay.io/org`).

use std::path::{Path, PathBuf};

use super::file::{self, Auths, FileError};

/// One podman auth file.
#[derive(Debug, Clone)]
pub struct AuthFile {
    pub file: PathBuf,
    pub auths: Auths,
}

impl AuthFile {
    /// Loads `path`; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>, FileError> {
        let Some(object) = file::read_object(path)? else {
            return Ok(None);
        };
        // A wrong-typed `auths` leaves nothing usable in a podman file: say so as a whole.
        let auths = Auths::from_object(&object)?;
        Ok(Some(Self {
            file: path.to_path_buf(),
            auths,
        }))
    }
}

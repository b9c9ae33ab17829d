//! Credentials for one registry; the secret never reaches `Debug`, logs or errors.

use std::fmt;

/// A username and a secret (password or token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    secret: String,
}

impl Credentials {
    #[must_use]
    pub fn new(username: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            secret: secret.into(),
        }
    }

    /// The secret, for building an `Authorization` header; nowhere else.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// `Basic base64(user:secret)`.
    #[must_use]
    pub fn basic_header(&self) -> String {
        use base64::Engine as _;
        let raw = format!("{}:{}", self.username, self.secret);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let c = Credentials::new("alice", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(c.basic_header(), "Basic YWxpY2U6aHVudGVyMg==");
    }
}

//! One `auths` entry (docker `config.json` and podman `auth.json` share the format), decoded.

use base64::Engine as _;
use serde_json::Value;

use crate::registry::Credentials;

/// What an `auths` entry holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    /// `{}`: docker writes these next to a `credsStore`, the secret lives in the helper.
    Empty,
    Login {
        credentials: Credentials,
        identity_token: bool,
    },
}

/// Why an entry could not be used; the messages never quote the entry's content.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("it is not a JSON object")]
    NotObject,
    #[error("its `{0}` field is not a string")]
    NotString(&'static str),
    #[error("its `auth` field is not valid base64")]
    BadBase64,
    #[error("its `auth` field is not UTF-8 once decoded")]
    NotUtf8,
    #[error("its `auth` field does not decode to `username:password`")]
    NoColon,
    #[error("it has a username but no password")]
    NoPassword,
}

/// The username reported when the secret is an identity (refresh) token, as credential helpers
/// spell it.
pub const TOKEN_USERNAME: &str = "<token>";

/// Decodes an entry the way docker's `decodeAuth` does: a non-empty `auth` (base64
/// `user:password`) wins over `username`/`password`, and an `identitytoken` wins over both.
pub fn decode(value: &Value) -> Result<Entry, EntryError> {
    let Value::Object(map) = value else {
        return Err(EntryError::NotObject);
    };
    let field = |name: &'static str| -> Result<String, EntryError> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(EntryError::NotString(name)),
        }
    };
    let auth = field("auth")?;
    let mut username = field("username")?;
    let mut password = field("password")?;
    let identity_token = field("identitytoken")?;
    if !auth.trim().is_empty() {
        (username, password) = decode_auth(auth.trim())?;
    }
    if !identity_token.is_empty() {
        // The username is only for display here: the token is exchanged by itself.
        let user = if username.is_empty() {
            TOKEN_USERNAME.to_string()
        } else {
            username
        };
        return Ok(Entry::Login {
            credentials: Credentials::new(user, identity_token),
            identity_token: true,
        });
    }
    match (username.is_empty(), password.is_empty()) {
        (true, true) => Ok(Entry::Empty),
        (false, true) => Err(EntryError::NoPassword),
        // A password without a username is what some registries (ECR tokens, GitLab deploy
        // tokens) are happy with; docker sends it as-is too.
        _ => Ok(Entry::Login {
            credentials: Credentials::new(username, password),
            identity_token: false,
        }),
    }
}

fn decode_auth(auth: &str) -> Result<(String, String), EntryError> {
    // Docker is strict about padding; some tools write unpadded base64, which costs nothing
    // to accept.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(auth))
        .map_err(|_| EntryError::BadBase64)?;
    let text = String::from_utf8(bytes).map_err(|_| EntryError::NotUtf8)?;
    let (user, password) = text.split_once(':').ok_or(EntryError::NoColon)?;
    // Docker trims NULs some old clients appended to the password.
    Ok((user.to_string(), password.trim_matches('\0').to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login(user: &str, secret: &str, identity_token: bool) -> Entry {
        Entry::Login {
            credentials: Credentials::new(user, secret),
            identity_token,
        }
    }

    #[test]
    fn decodes_every_shape() {
        // base64("alice:s3cr:et")
        assert_eq!(
            decode(&json!({"auth": "YWxpY2U6czNjcjpldA=="})),
            Ok(login("alice", "s3cr:et", false))
        );
        assert_eq!(
            decode(&json!({"auth": "YWxpY2U6czNjcjpldA"})),
            Ok(login("alice", "s3cr:et", false))
        );
        assert_eq!(
            decode(&json!({"username": "bob", "password": "pw"})),
            Ok(login("bob", "pw", false))
        );
        assert_eq!(
            decode(&json!({"auth": "", "identitytoken": "tok"})),
            Ok(login(TOKEN_USERNAME, "tok", true))
        );
        assert_eq!(
            decode(&json!({"username": "carol", "identitytoken": "tok"})),
            Ok(login("carol", "tok", true))
        );
        assert_eq!(decode(&json!({})), Ok(Entry::Empty));
        assert_eq!(decode(&json!({"email": "x@y"})), Ok(Entry::Empty));
    }

    #[test]
    fn bad_entries_say_why_without_content() {
        assert_eq!(decode(&json!("x")), Err(EntryError::NotObject));
        assert_eq!(decode(&json!({"auth": "!!!"})), Err(EntryError::BadBase64));
        // base64("nocolon")
        assert_eq!(
            decode(&json!({"auth": "bm9jb2xvbg=="})),
            Err(EntryError::NoColon)
        );
        assert_eq!(
            decode(&json!({"username": "bob"})),
            Err(EntryError::NoPassword)
        );
        assert_eq!(
            decode(&json!({"password": 5})),
            Err(EntryError::NotString("password"))
        );
    }
}

//! Content digests (`sha256:<hex>`): parsing, computing and verifying.

use std::fmt;

use serde::Serialize;
use sha2::{Digest as _, Sha256, Sha512};

use crate::sanitize::sanitize;

/// Hex digits a short digest keeps from the start, and [`Digest::short_ends`] from the end.
const SHORT_HEX: usize = 8;
const TAIL_HEX: usize = 4;

/// A validated content digest such as `sha256:db8f…`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Digest(String);

/// Why a string is not a digest we can verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("`{0}` is not a digest (expected `sha256:` followed by 64 lowercase hex digits)")]
    Malformed(String),
    #[error("digest algorithm `{0}` is not supported (sha256 and sha512 are)")]
    UnsupportedAlgorithm(String),
}

impl Digest {
    /// Parses `algorithm:hex`, accepting sha256 and sha512 in their canonical lowercase form.
    pub fn parse(s: &str) -> Result<Self, DigestError> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Malformed(s.to_string()))?;
        let want = match alg {
            "sha256" => 64,
            "sha512" => 128,
            _ if !alg.is_empty()
                && alg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+._-".contains(&b)) =>
            {
                return Err(DigestError::UnsupportedAlgorithm(alg.to_string()))
            }
            _ => return Err(DigestError::Malformed(s.to_string())),
        };
        if hex.len() != want || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Malformed(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    /// The sha256 digest of `bytes`.
    #[must_use]
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self(format!("sha256:{}", hex::encode(Sha256::digest(bytes))))
    }

    /// Whether `bytes` hash to this digest (with this digest's algorithm).
    #[must_use]
    pub fn matches(&self, bytes: &[u8]) -> bool {
        let computed = match self.algorithm() {
            "sha512" => hex::encode(Sha512::digest(bytes)),
            _ => hex::encode(Sha256::digest(bytes)),
        };
        computed == self.hex()
    }

    #[must_use]
    pub fn algorithm(&self) -> &str {
        self.0.split_once(':').map_or("", |(a, _)| a)
    }

    #[must_use]
    pub fn hex(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, h)| h)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `sha256:db8f2a6e…`: enough to recognise, short enough for a tree.
    #[must_use]
    pub fn short(&self) -> String {
        let hex = self.hex();
        if hex.len() <= SHORT_HEX + TAIL_HEX {
            return self.0.clone();
        }
        format!("{}:{}…", self.algorithm(), &hex[..SHORT_HEX])
    }

    /// `sha256:db8f2a6e…f898`: both ends, to compare with what a registry console shows.
    #[must_use]
    pub fn short_ends(&self) -> String {
        let hex = self.hex();
        if hex.len() <= SHORT_HEX + TAIL_HEX {
            return self.0.clone();
        }
        format!(
            "{}:{}…{}",
            self.algorithm(),
            &hex[..SHORT_HEX],
            &hex[hex.len() - TAIL_HEX..]
        )
    }

    /// The tag the OCI referrers tag schema uses for this digest (`sha256-<hex>`).
    #[must_use]
    pub fn referrers_tag(&self) -> String {
        format!("{}-{}", self.algorithm(), self.hex())
    }
}

/// The one way regscope shortens a digest for people: `sha256:db8f2a6e…`. Registry-supplied
/// text that is not a digest is shown whole, sanitised, so a bad descriptor stays visible.
#[must_use]
pub fn short(digest: &str) -> String {
    Digest::parse(digest).map_or_else(|_| sanitize(digest).into_owned(), |d| d.short())
}

/// [`short`] with the last hex digits too (`sha256:db8f2a6e…f898`), for a root digest a reader
/// compares with a registry console.
#[must_use]
pub fn short_ends(digest: &str) -> String {
    Digest::parse(digest).map_or_else(|_| sanitize(digest).into_owned(), |d| d.short_ends())
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Digest {
    type Err = DigestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_verifies_sha256() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(
            d.as_str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert!(Digest::parse(d.as_str()).is_ok());
        assert!(d.matches(b"hello"));
        assert!(!d.matches(b"hello!"));
        assert_eq!(d.short(), "sha256:2cf24dba…");
        assert_eq!(d.short_ends(), "sha256:2cf24dba…9824");
        assert_eq!(d.referrers_tag(), format!("sha256-{}", d.hex()));
    }

    #[test]
    fn short_forms_keep_what_is_not_a_digest_whole_and_safe() {
        let d = Digest::sha256_of(b"hello");
        assert_eq!(short(d.as_str()), "sha256:2cf24dba…");
        assert_eq!(short_ends(d.as_str()), "sha256:2cf24dba…9824");
        assert_eq!(short("latest"), "latest");
        assert_eq!(short("sha256:zz\x1b[2J"), "sha256:zz\\u{1b}[2J");
        assert_eq!(short_ends(""), "");
    }

    #[test]
    fn rejects_malformed_digests() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "sha256:ABC",
            "sha256:zz",
            ":abc",
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
        ] {
            assert!(
                matches!(Digest::parse(bad), Err(DigestError::Malformed(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Digest::parse("md5:abcd"),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
    }
}

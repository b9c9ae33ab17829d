//! The promotion map of `regscope diff --map FILE`: one `SOURCE_REPO TARGET_REPO [TAG_GLOB]`
//! per line, `#` starts a comment. Parsing is bounded: a CI job fed a wrong file gets a clear
//! error, not an hour of requests.

use crate::reference::ImageRef;
use crate::sanitize::sanitize;

/// Lines read at most (comments and blank lines included).
pub const MAX_LINES: usize = 1_000;
/// Bytes read at most.
pub const MAX_BYTES: usize = 1024 * 1024;
/// Tags compared at most per line.
pub const MAX_TAGS_PER_LINE: usize = 500;

/// One promotion: every tag of `source` matching `glob` should be in `target` too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// 1-based line number in the file.
    pub line: usize,
    /// `registry/repository`, without a tag.
    pub source: String,
    pub target: String,
    /// `None`: every tag.
    pub glob: Option<String>,
}

/// Why a map file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("the map file is larger than {MAX_BYTES} bytes; split it")]
    TooLarge,
    #[error("the map file has more than {MAX_LINES} lines; split it")]
    TooManyLines,
    #[error("line {line}: {reason} (expected `SOURCE_REPO TARGET_REPO [TAG_GLOB]`, e.g. `registry.internal:5000/team/app docker.io/team/app v1.*`)")]
    Line { line: usize, reason: String },
    #[error("the map file has no promotion in it")]
    Empty,
}

/// Parses a map file's text.
pub fn parse(text: &str) -> Result<Vec<Promotion>, MapError> {
    if text.len() > MAX_BYTES {
        return Err(MapError::TooLarge);
    }
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if line > MAX_LINES {
            return Err(MapError::TooManyLines);
        }
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let words: Vec<&str> = content.split_whitespace().collect();
        let bad = |reason: String| MapError::Line { line, reason };
        let (source, target, glob) = match words.as_slice() {
            [s, t] => (*s, *t, None),
            [s, t, g] => (*s, *t, Some((*g).to_string())),
            _ => {
                return Err(bad(format!(
                    "{} words where 2 or 3 were expected",
                    words.len()
                )))
            }
        };
        for repo in [source, target] {
            check_repository(repo).map_err(bad)?;
        }
        out.push(Promotion {
            line,
            source: source.to_string(),
            target: target.to_string(),
            glob,
        });
    }
    if out.is_empty() {
        return Err(MapError::Empty);
    }
    Ok(out)
}

/// A repository with its registry, without a tag or digest.
fn check_repository(repo: &str) -> Result<(), String> {
    let shown = sanitize(repo);
    if repo.contains('@') {
        return Err(format!("`{shown}` has a digest; name a repository"));
    }
    // The parser fills in `latest`: a tag is a `:` in the last path component.
    let last = repo.rsplit('/').next().unwrap_or(repo);
    if repo.contains('/') && last.contains(':') {
        return Err(format!("`{shown}` has a tag; name a repository"));
    }
    match ImageRef::parse(repo) {
        Ok(ImageRef::Registry(_)) => Ok(()),
        Ok(ImageRef::Layout(_)) => Err(format!(
            "`{shown}` is a layout; a promotion maps registry repositories"
        )),
        Err(e) => Err(e.to_string()),
    }
}

// Config patterns match with it too, and config sits below `diff`: it lives in `glob`.
pub use crate::glob::matches as glob_matches;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_globs() {
        let text = "# promotion of release 4\n\n127.0.0.1:5000/team/app docker.io/team/app v1.*  # the v1 line\n127.0.0.1:5000/team/db 127.0.0.1:6000/db\n";
        let map = parse(text).expect("parses");
        assert_eq!(map.len(), 2);
        assert_eq!(map[0].line, 3);
        assert_eq!(map[0].glob.as_deref(), Some("v1.*"));
        assert_eq!(map[1].glob, None);
        assert_eq!(map[1].target, "127.0.0.1:6000/db");
    }

    #[test]
    fn a_bad_line_names_its_number_and_what_was_expected() {
        let err = parse("a/b\n").expect_err("one word").to_string();
        assert!(err.starts_with("line 1: 1 words"), "{err}");
        let err = parse("# x\nhost:5000/a:v1 host:5000/b\n")
            .expect_err("tag")
            .to_string();
        assert!(err.contains("line 2") && err.contains("has a tag"), "{err}");
        assert_eq!(parse("# only\n"), Err(MapError::Empty));
        let long = "a/b c/d\n".repeat(MAX_LINES + 1);
        assert_eq!(parse(&long), Err(MapError::TooManyLines));
        assert_eq!(parse(&"#".repeat(MAX_BYTES + 1)), Err(MapError::TooLarge));
    }

    #[test]
    fn globs_match_like_a_shell() {
        assert!(glob_matches("v1.*", "v1.2.3"));
        assert!(!glob_matches("v1.*", "v2.0"));
        assert!(glob_matches("*", "anything"));
        assert!(glob_matches("v?", "v1"));
        assert!(!glob_matches("v?", "v10"));
        assert!(glob_matches("*-rc*", "1.0-rc2"));
        assert!(glob_matches(&"*a".repeat(20), &"a".repeat(64)));
        assert!(!glob_matches(&"*a".repeat(20), &"b".repeat(64)));
    }
}

//! Recently opened registries, repositories and references, remembered between sessions in a
//! small file: `$REGSCOPE_STATE_DIR/recent`, else `$XDG_STATE_HOME/regscope/recent`, else
//! `~/.local/state/regscope/recent`. One entry a line, most recent first.

use std::path::{Path, PathBuf};

/// Entries kept.
pub const KEEP: usize = 10;

/// Where the list lives, if a home or state directory is known.
#[must_use]
pub fn file() -> Option<PathBuf> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("REGSCOPE_STATE_DIR") {
        return Some(dir.join("recent"));
    }
    let state = var("XDG_STATE_HOME").or_else(|| var("HOME").map(|h| h.join(".local/state")))?;
    Some(state.join("regscope").join("recent"))
}

/// The entries in `path`, most recent first; a missing or unreadable file is an empty list.
/// Lines that are not something the TUI can open (or hold control characters) are skipped.
#[must_use]
pub fn load(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        let usable = !line.is_empty()
            && !line.chars().any(char::is_control)
            && super::parse_target(line, None).is_ok();
        if usable && !out.iter().any(|e| e == line) {
            out.push(line.to_string());
        }
    }
    out.truncate(KEEP);
    out
}

/// Puts `entry` first in `path`'s list (once), keeping [`KEEP`] entries.
pub fn remember(path: &Path, entry: &str) -> std::io::Result<()> {
    let mut entries = load(path);
    entries.retain(|e| e != entry);
    entries.insert(0, entry.to_string());
    entries.truncate(KEEP);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = entries.join("\n");
    text.push('\n');
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_once_and_garbage_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/recent");
        assert!(load(&path).is_empty());
        remember(&path, "127.0.0.1:5000").expect("write");
        remember(&path, "127.0.0.1:5000/team/app:v7").expect("write");
        remember(&path, "127.0.0.1:5000").expect("write");
        assert_eq!(
            load(&path),
            ["127.0.0.1:5000", "127.0.0.1:5000/team/app:v7"]
        );
        std::fs::write(&path, "ghcr.io\n\x1b[2J\nNot A Ref!\n\nghcr.io\n").expect("write");
        assert_eq!(load(&path), ["ghcr.io"]);
        for i in 0..20 {
            remember(&path, &format!("reg.test:{}", 5000 + i)).expect("write");
        }
        assert_eq!(load(&path).len(), KEEP);
    }
}

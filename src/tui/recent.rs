//! Recently opened registries, repositories and references, remembered between sessions in a
//! small file: `$REGSCOPE_STATE_DIR/recent`, else `$XDG_STATE_HOME/regscope/recent`, else
//! `~/.local/state/regscope/recent`. One entry a line, most recent first, as `TARGET<TAB>SECS`
//! (when it was last opened, in seconds since the Unix epoch; older files without it still
//! load). Only targets that opened are written (the app confirms a load first), and the demo's
//! throw-away registry never is.

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

/// One remembered target and when it was last opened (seconds since the epoch), if known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub target: String,
    pub at: Option<u64>,
}

/// The entries in `path`, most recent first; a missing or unreadable file is an empty list.
/// Lines that are not something the TUI can open (or hold control characters) are skipped.
#[must_use]
pub fn load(path: &Path) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut out: Vec<Entry> = Vec::new();
    for line in text.lines() {
        let (target, at) = match line.split_once('\t') {
            Some((t, secs)) => (t.trim(), secs.trim().parse().ok()),
            None => (line.trim(), None),
        };
        let usable = !target.is_empty()
            && !target.chars().any(char::is_control)
            && super::parse_target(target, None).is_ok();
        if usable && !out.iter().any(|e| e.target == target) {
            out.push(Entry {
                target: target.to_string(),
                at,
            });
        }
    }
    out.truncate(KEEP);
    out
}

/// Puts `target` first in `path`'s list (once), opened at `at`, keeping [`KEEP`] entries.
pub fn remember(path: &Path, target: &str, at: u64) -> std::io::Result<()> {
    let mut entries = load(path);
    entries.retain(|e| e.target != target);
    entries.insert(
        0,
        Entry {
            target: target.to_string(),
            at: Some(at),
        },
    );
    entries.truncate(KEEP);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text: String = entries
        .iter()
        .map(|e| match e.at {
            Some(at) => format!("{}\t{at}\n", e.target),
            None => format!("{}\n", e.target),
        })
        .collect();
    std::fs::write(path, text)
}

/// Seconds since the Unix epoch now (0 if the clock is before it).
#[must_use]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How long ago `at` was, in a few characters: `just now`, `5 min ago`, `3 h ago`, `2 days ago`.
#[must_use]
pub fn age(now: u64, at: u64) -> String {
    let secs = now.saturating_sub(at);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        86_400..172_800 => "1 day ago".into(),
        _ => format!("{} days ago", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_once_and_garbage_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state/recent");
        let targets = |p: &Path| load(p).into_iter().map(|e| e.target).collect::<Vec<_>>();
        assert!(load(&path).is_empty());
        remember(&path, "127.0.0.1:5000", 100).expect("write");
        remember(&path, "127.0.0.1:5000/team/app:v7", 200).expect("write");
        remember(&path, "127.0.0.1:5000", 300).expect("write");
        assert_eq!(
            targets(&path),
            ["127.0.0.1:5000", "127.0.0.1:5000/team/app:v7"]
        );
        assert_eq!(load(&path)[0].at, Some(300));
        // Files written before entries had times still load, without an age.
        std::fs::write(&path, "ghcr.io\n\x1b[2J\nNot A Ref!\n\nghcr.io\n").expect("write");
        assert_eq!(
            load(&path),
            [Entry {
                target: "ghcr.io".into(),
                at: None
            }]
        );
        for i in 0..20 {
            remember(&path, &format!("reg.test:{}", 5000 + i), i).expect("write");
        }
        assert_eq!(load(&path).len(), KEEP);
    }

    #[test]
    fn ages_in_a_few_characters() {
        assert_eq!(age(1000, 990), "just now");
        assert_eq!(age(1000, 1000 - 5 * 60), "5 min ago");
        assert_eq!(age(100_000, 100_000 - 3 * 3600), "3 h ago");
        assert_eq!(age(1_000_000, 1_000_000 - 86_400 - 5), "1 day ago");
        assert_eq!(age(1_000_000, 1_000_000 - 3 * 86_400), "3 days ago");
        assert_eq!(age(5, 10), "just now");
    }
}

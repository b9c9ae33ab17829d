//! Plain-text wrapping for the CLI: at spaces, never inside a command or a digest.
//!
//! A command (text in backticks) and every run of non-space characters (a digest, a URL, a
//! path) is one word: it moves to the next line whole, and one wider than the line gets a line
//! of its own rather than being split, so what a user copies still works.

use unicode_width::UnicodeWidthStr;

/// The columns `s` takes in a terminal.
#[must_use]
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// The words of `text`: runs between spaces, except that a command in backticks, with what is
/// glued to it (`(`, `.`), is one word. An unpaired backtick is an ordinary character.
#[must_use]
pub fn words(text: &str) -> Vec<&str> {
    let ticks = text.matches('`').count();
    let paired = ticks - ticks % 2;
    let mut seen = 0;
    let mut in_command = false;
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '`' && seen < paired {
            seen += 1;
            in_command = !in_command;
        }
        if c == ' ' && !in_command {
            if let Some(s) = start.take() {
                out.push(&text[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// `text` in lines of at most `first` columns (the first line) and `rest` (the others), broken
/// between [`words`]. A word wider than its line starts a line and has it to itself.
#[must_use]
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in words(text) {
        let w = width(word);
        let room = if lines.is_empty() { first } else { rest };
        if used > 0 && used + 1 + w > room {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += w;
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// The longest run of whole [`words`] of `text` that fits in `room` columns, if one does. It
/// does not end on a bare number: `1 layer` cut to `1` would say nothing true.
#[must_use]
pub fn fit_words(text: &str, room: usize) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    let mut used = 0;
    for word in words(text) {
        let extra = usize::from(!kept.is_empty()) + width(word);
        if used + extra > room {
            break;
        }
        used += extra;
        kept.push(word);
    }
    while kept.last().is_some_and(|w| {
        w.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    }) {
        kept.pop();
    }
    (!kept.is_empty()).then(|| kept.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";

    #[test]
    fn a_command_in_backticks_is_one_word_with_what_is_glued_to_it() {
        assert_eq!(
            words("Rebuild with `docker buildx build --push ...` (or set X=1)."),
            [
                "Rebuild",
                "with",
                "`docker buildx build --push ...`",
                "(or",
                "set",
                "X=1)."
            ]
        );
        assert_eq!(words("an unpaired ` tick"), ["an", "unpaired", "`", "tick"]);
        assert_eq!(words("  two  spaces "), ["two", "spaces"]);
    }

    #[test]
    fn wraps_at_spaces_with_different_first_and_other_widths() {
        assert_eq!(
            wrap("Add a USER line to the Dockerfile", 10, 16),
            ["Add a USER", "line to the", "Dockerfile"]
        );
        assert_eq!(wrap("", 10, 10), [""]);
        assert_eq!(wrap("fits", 10, 10), ["fits"]);
    }

    #[test]
    fn a_command_that_does_not_fit_moves_to_the_next_line_whole() {
        let lines = wrap(
            "Rebuild with `docker buildx build --platform linux/amd64 --push ...` and re-push",
            30,
            30,
        );
        assert_eq!(
            lines,
            [
                "Rebuild with",
                "`docker buildx build --platform linux/amd64 --push ...`",
                "and re-push"
            ],
            "wider than the line: on a line of its own, never split"
        );
        let lines = wrap("Fix: `docker pull alpine` then run", 20, 40);
        assert_eq!(lines, ["Fix:", "`docker pull alpine` then run"]);
        for line in &lines {
            assert_eq!(line.matches('`').count() % 2, 0, "{line}");
        }
    }

    #[test]
    fn a_digest_is_never_split() {
        let text = format!("manifest {DIGEST} is referenced but gone");
        for w in [10, 40, 70, 80] {
            let lines = wrap(&text, w, w);
            assert!(lines.iter().any(|l| l.contains(DIGEST)), "{w}: {lines:?}");
            assert_eq!(lines.join(" "), text, "nothing lost at {w}");
        }
    }

    #[test]
    fn fit_words_keeps_whole_words_only() {
        assert_eq!(
            fit_words("SLSA provenance v0.2, built with BuildKit", 20).as_deref(),
            Some("SLSA provenance")
        );
        assert_eq!(fit_words(DIGEST, 40), None);
        assert_eq!(fit_words("a b", 3).as_deref(), Some("a b"));
        assert_eq!(
            fit_words("SPDX SBOM, 1 package", 13).as_deref(),
            Some("SPDX SBOM,"),
            "not `SPDX SBOM, 1`"
        );
        assert_eq!(fit_words("2 layers", 3), None);
        assert_eq!(width("sha256:da8b1906…"), 16);
    }
}

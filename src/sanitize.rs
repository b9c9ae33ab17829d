//! Making registry-supplied strings safe for a terminal: no escape sequences, no control characters.
//!
//! Everything a registry sends (names, tags, annotations, labels, statements) is untrusted: an
//! annotation holding `\x1b]52;…` could rewrite the user's clipboard, `\x1b[2J` could hide output.

use std::borrow::Cow;

/// Replaces control characters (C0, DEL, C1, and bidi overrides) with visible escapes.
///
/// Newlines and tabs become `\n` / `\t` too: a single-line field must stay on one line.
#[must_use]
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`sanitize`] but keeps newlines, for multi-line text such as pretty-printed JSON.
#[must_use]
pub fn sanitize_multiline(s: &str) -> String {
    s.split('\n').map(sanitize).collect::<Vec<_>>().join("\n")
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        // Bidi embedding/override/isolate characters can reorder what the user sees.
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences() {
        assert_eq!(sanitize("v1.2"), "v1.2");
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize("x\x1b]52;c;AAAA\x07"), "x\\u{1b}]52;c;AAAA\\u{7}");
        assert_eq!(sanitize("l1\nl2"), "l1\\nl2");
        assert_eq!(sanitize("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(sanitize("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(
            sanitize_multiline("{\n  \"a\": \"\x1b\"\n}"),
            "{\n  \"a\": \"\\u{1b}\"\n}"
        );
    }
}

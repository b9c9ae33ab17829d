//! The raw JSON view's search: `/` finds text in the pretty JSON as it is typed, `n` and `N`
//! step through the matches (wrapping at either end), and the title counts them (`3/17`).

use crate::tui::action::Command;
use crate::tui::layout;
use crate::tui::views::TreeView;

/// What is searched for in the raw JSON, and which match is the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSearch {
    pub query: String,
    /// Index of the current match (`n`, `N`), among [`matches`] of the lines shown.
    pub current: usize,
}

/// One match: its line, and its byte range in that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub line: usize,
    pub start: usize,
    pub end: usize,
}

/// Every match of `query` in `lines`, in reading order, ASCII letters in either case (the
/// lines are sanitised text, so what matches is what the screen shows). None for an empty
/// query. Each line is searched once from left to right: the walk ends with the text.
#[must_use]
pub fn matches(lines: &[String], query: &str) -> Vec<Match> {
    if query.is_empty() {
        return Vec::new();
    }
    let needle = query.to_ascii_lowercase();
    let mut found = Vec::new();
    for (line, text) in lines.iter().enumerate() {
        // ASCII lowering keeps every byte offset, so ranges index the line as drawn.
        let hay = text.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = hay[from..].find(&needle) {
            let start = from + at;
            let end = start + needle.len();
            found.push(Match { line, start, end });
            from = end;
        }
    }
    found
}

impl RawSearch {
    /// A new query: the first match from the top is current.
    pub fn set_query(&mut self, query: String) {
        self.query = query;
        self.current = 0;
    }

    /// `n` (next) or `N` (previous) among `count` matches, wrapping around.
    pub fn step(&mut self, cmd: Command, count: usize) {
        if count == 0 {
            return;
        }
        let current = self.current.min(count - 1);
        self.current = match cmd {
            Command::PrevMatch => (current + count - 1) % count,
            _ => (current + 1) % count,
        };
    }

    /// The title's count: `3/17 "digest"`, or that nothing matches.
    #[must_use]
    pub fn label(&self, count: usize) -> Option<String> {
        if self.query.is_empty() {
            return None;
        }
        let query = crate::sanitize::sanitize(&self.query);
        Some(if count == 0 {
            format!("no match for \"{query}\"")
        } else {
            format!("{}/{count} \"{query}\"", self.current.min(count - 1) + 1)
        })
    }
}

impl TreeView {
    /// The raw JSON's lines and their matches of the search.
    #[must_use]
    pub fn raw_matches(&self) -> (Vec<String>, Vec<Match>) {
        let lines = self.raw_lines();
        let found = matches(&lines, &self.search.query);
        (lines, found)
    }

    /// `n` / `N` in the raw JSON: the next or previous match, scrolled into view.
    pub fn search_step(&mut self, cmd: Command, size: (u16, u16)) {
        let (_, found) = self.raw_matches();
        self.search.step(cmd, found.len());
        self.show_match(size);
    }

    /// Scrolls the raw JSON to the current match (if any).
    pub fn show_match(&mut self, size: (u16, u16)) {
        let Some(scroll) = self.raw else { return };
        let (lines, found) = self.raw_matches();
        let Some(m) = found.get(self.search.current) else {
            return;
        };
        let height = layout::raw_rows(size);
        let max = lines.len().saturating_sub(height);
        self.raw = Some(scroll_to_line(scroll, m.line, height, max));
    }
}

/// The scroll that shows `line`: `scroll` itself when the line is on screen already, else the
/// line a third of the way down (at most `max`).
#[must_use]
pub fn scroll_to_line(scroll: usize, line: usize, height: usize, max: usize) -> usize {
    if line >= scroll && line < scroll + height {
        return scroll;
    }
    line.saturating_sub(height / 3).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn matches_are_found_in_either_case_in_reading_order() {
        let l = lines("{\n  \"mediaType\": \"application/vnd.OCI\",\n  \"oci\": \"oci oci\"\n}");
        let m = matches(&l, "oci");
        assert_eq!(m.len(), 4);
        assert_eq!(
            m[0],
            Match {
                line: 1,
                start: 32,
                end: 35
            }
        );
        assert_eq!(&l[2][m[1].start..m[1].end], "oci");
        assert!(matches(&l, "").is_empty());
        assert!(matches(&l, "zzz").is_empty());
    }

    #[test]
    fn n_and_shift_n_wrap_around() {
        let mut s = RawSearch::default();
        s.set_query("a".into());
        s.step(Command::PrevMatch, 3);
        assert_eq!(s.current, 2);
        s.step(Command::NextMatch, 3);
        assert_eq!(s.current, 0);
        s.step(Command::NextMatch, 0);
        assert_eq!(s.current, 0);
        assert_eq!(s.label(3).as_deref(), Some("1/3 \"a\""));
        assert_eq!(s.label(0).as_deref(), Some("no match for \"a\""));
    }

    #[test]
    fn the_scroll_moves_only_when_the_match_is_off_screen() {
        assert_eq!(scroll_to_line(10, 15, 20, 100), 10);
        assert_eq!(scroll_to_line(10, 60, 21, 100), 53);
        assert_eq!(scroll_to_line(10, 2, 20, 100), 0);
        assert_eq!(scroll_to_line(0, 99, 21, 90), 90);
    }
}

//! Cursor movement over a list and the `/` filter, shared by every list-like view.

use super::action::Command;

/// The selected row and the first row shown; kept consistent with the viewport height.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Applies a movement command over `len` rows shown `height` at a time. Returns whether it
    /// was a movement at all.
    pub fn apply(&mut self, cmd: Command, len: usize, height: usize) -> bool {
        let page = height.max(1);
        let last = len.saturating_sub(1);
        self.selected = match cmd {
            Command::Up => self.selected.saturating_sub(1),
            Command::Down => (self.selected + 1).min(last),
            Command::PageUp => self.selected.saturating_sub(page),
            Command::PageDown => (self.selected + page).min(last),
            Command::Top => 0,
            Command::Bottom => last,
            _ => return false,
        };
        self.fit(len, height);
        true
    }

    /// Clamps the selection to `len` rows and scrolls so it stays visible.
    pub fn fit(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        // Never leave blank rows at the bottom when the list could fill them.
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// The rows `[start, end)` shown in a viewport of `height`.
    #[must_use]
    pub fn window(&self, len: usize, height: usize) -> std::ops::Range<usize> {
        let start = self.offset.min(len);
        start..(start + height).min(len)
    }
}

/// Case-insensitive subsequence match: `tapp` matches `team/app`.
#[must_use]
pub fn matches(pattern: &str, text: &str) -> bool {
    let mut text = text.chars().flat_map(char::to_lowercase);
    pattern
        .chars()
        .flat_map(char::to_lowercase)
        .all(|p| text.any(|t| t == p))
}

/// Indices of `items` that match `pattern` (all of them when it is empty).
#[must_use]
pub fn filtered<'a>(items: impl Iterator<Item = &'a str>, pattern: &str) -> Vec<usize> {
    items
        .enumerate()
        .filter(|(_, s)| matches(pattern, s))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_filter() {
        assert!(matches("tapp", "team/app"));
        assert!(matches("", "x"));
        assert!(matches("APP", "team/app"));
        assert!(!matches("ppa", "app"));
    }

    #[test]
    fn cursor_scrolls_to_keep_selection_visible() {
        let mut c = Cursor::default();
        c.apply(Command::PageDown, 100, 10);
        assert_eq!((c.selected, c.offset), (10, 1));
        c.apply(Command::Bottom, 100, 10);
        assert_eq!((c.selected, c.offset), (99, 90));
        c.apply(Command::Top, 100, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
        c.apply(Command::Up, 0, 10);
        assert_eq!((c.selected, c.offset), (0, 0));
    }
}

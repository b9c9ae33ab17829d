//! Cursor movement over a list and the `/` filter, shared by every list-like view.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

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

thread_local! {
    /// nucleo's matcher keeps sizeable scratch space: one per thread, reused by every filter.
    static MATCHER: RefCell<Matcher> = RefCell::new(Matcher::new(Config::DEFAULT.match_paths()));
}

/// Indices of `items` that match `pattern`, best match first (ties in list order); all of them,
/// in order, when it is empty. Ranked fuzzy matching as helix does it (nucleo): a subsequence
/// matches, case-insensitively; matches at word and path boundaries (`/`, `-`, `.`) and
/// consecutive ones rank higher; words separated by spaces must all match, and helix's
/// `^prefix`, `suffix$`, `'exact` and `!not` work too.
#[must_use]
pub fn filtered<'a>(items: impl Iterator<Item = &'a str>, pattern: &str) -> Vec<usize> {
    if pattern.trim().is_empty() {
        return items.enumerate().map(|(i, _)| i).collect();
    }
    let pattern = Pattern::parse(pattern, CaseMatching::Ignore, Normalization::Smart);
    let mut scored: Vec<(usize, u32)> = MATCHER.with_borrow_mut(|matcher| {
        let mut buf = Vec::new();
        items
            .enumerate()
            .filter_map(|(i, item)| {
                Some((i, pattern.score(Utf32Str::new(item, &mut buf), matcher)?))
            })
            .collect()
    });
    // Stable: equal scores keep the list's order.
    scored.sort_by_key(|&(_, score)| std::cmp::Reverse(score));
    scored.into_iter().map(|(i, _)| i).collect()
}

/// Whether `text` passes the filter `pattern` (see [`filtered`]).
#[must_use]
pub fn matches(pattern: &str, text: &str) -> bool {
    !filtered(std::iter::once(text), pattern).is_empty()
}

/// A list's filtered (and ordered) row indices, kept until what they depend on (`K`: the
/// filter, the list's length or revision, the order) changes: at 10,000 rows filtering on
/// every draw and every key would cost more than a frame.
#[derive(Debug)]
pub struct Memo<K> {
    slot: Mutex<Option<(K, Arc<[usize]>)>>,
}

impl<K> Default for Memo<K> {
    fn default() -> Self {
        Self {
            slot: Mutex::new(None),
        }
    }
}

/// A copy computes its own (the views are cloned rarely: tests, the registries list).
impl<K> Clone for Memo<K> {
    fn clone(&self) -> Self {
        Self::default()
    }
}

/// A cache is no part of the value it caches: any two are equal.
impl<K> PartialEq for Memo<K> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<K> Eq for Memo<K> {}

impl<K: PartialEq> Memo<K> {
    /// The indices for `key`: the ones kept when the key is the same, else `compute`'s.
    #[must_use]
    pub fn get(&self, key: K, compute: impl FnOnce() -> Vec<usize>) -> Arc<[usize]> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some((k, indices)) if *k == key => Arc::clone(indices),
            _ => {
                let indices: Arc<[usize]> = compute().into();
                *slot = Some((key, Arc::clone(&indices)));
                indices
            }
        }
    }
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
    fn matches_rank_best_first() {
        let names = [
            "lambda/payments",
            "mapper/x",
            "team/app-old",
            "app",
            "team/app",
            "web",
        ];
        // Matches at a word or path boundary rank before one inside a word, whatever their
        // place in the list; equal ones keep the list's order; `lambda/payments` (one `p`) and
        // `web` do not match.
        assert_eq!(filtered(names.iter().copied(), "app"), [2, 3, 4, 1]);
        // Every word must match; an empty filter keeps everything in order.
        assert_eq!(filtered(names.iter().copied(), "team old"), [2]);
        assert_eq!(filtered(names.iter().copied(), " "), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_memo_recomputes_only_when_its_key_changes() {
        let memo = Memo::default();
        let calls = std::cell::Cell::new(0);
        let compute = || {
            calls.set(calls.get() + 1);
            vec![1, 2]
        };
        assert_eq!(&*memo.get(("a".to_string(), 3), compute), [1, 2]);
        let _ = memo.get(("a".to_string(), 3), compute);
        assert_eq!(calls.get(), 1);
        let _ = memo.get(("ab".to_string(), 3), compute);
        let _ = memo.get(("ab".to_string(), 4), compute);
        assert_eq!(calls.get(), 3);
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

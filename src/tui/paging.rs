//! Walking a paged list (the catalog) to its end in the background, with the bounds that keep
//! a misbehaving registry from having us ask forever: a total cap, a cursor that does not
//! advance, a page seen before.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// Names kept at most: past this the list is cut and says so (10 MB or so of names; the
/// largest catalogs seen in the wild are well under it).
pub const MAX_NAMES: usize = 100_000;

/// Why a walk stopped before the registry said it was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The cap was reached: the list is cut at this many names.
    Cap(usize),
    /// A page ended where the request started (or was empty while claiming more): asking
    /// again would get the same answer.
    Stuck,
    /// A page came back that was seen before: the registry ignores the cursor.
    Repeated,
}

impl Stop {
    /// What the view says about the cut list.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Stop::Cap(n) => format!("truncated at {}", grouped(n)),
            Stop::Stuck => "stopped: the registry's next page did not move on".into(),
            Stop::Repeated => "stopped: the registry sent a page it had sent before".into(),
        }
    }
}

/// What follows a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    More,
    Done,
    Stopped(Stop),
}

/// The pages of one walk seen so far (a fingerprint each, not the names again).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    seen: HashSet<u64>,
}

impl Walk {
    /// Takes one page, asked for after `after`, when `have` names are already kept: how many
    /// of its names to keep (a prefix) and what comes next. `more` is the registry's `Link`.
    pub fn step(
        &mut self,
        have: usize,
        after: Option<&str>,
        page: &[String],
        more: bool,
        cap: usize,
    ) -> (usize, Step) {
        let Some(last) = page.last() else {
            // An empty page that claims more would have us ask forever.
            return (
                0,
                if more {
                    Step::Stopped(Stop::Stuck)
                } else {
                    Step::Done
                },
            );
        };
        if after == Some(last.as_str()) {
            return (0, Step::Stopped(Stop::Stuck));
        }
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        page.hash(&mut hasher);
        if !self.seen.insert(hasher.finish()) {
            return (0, Step::Stopped(Stop::Repeated));
        }
        let room = cap.saturating_sub(have);
        if page.len() > room || (page.len() == room && more) {
            return (room, Step::Stopped(Stop::Cap(cap)));
        }
        (page.len(), if more { Step::More } else { Step::Done })
    }
}

/// `4,000`: counts at scale read better grouped.
#[must_use]
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(from: usize, n: usize) -> Vec<String> {
        (from..from + n).map(|i| format!("r{i:06}")).collect()
    }

    #[test]
    fn a_walk_follows_the_registry_until_it_says_done() {
        let mut walk = Walk::default();
        assert_eq!(walk.step(0, None, &page(0, 3), true, 10), (3, Step::More));
        // Fewer than asked but with a `Link`: that is the registry's page size, go on.
        assert_eq!(
            walk.step(3, Some("r000002"), &page(3, 2), true, 10),
            (2, Step::More)
        );
        assert_eq!(
            walk.step(5, Some("r000004"), &page(5, 2), false, 10),
            (2, Step::Done)
        );
    }

    #[test]
    fn a_cursor_that_does_not_advance_stops_the_walk() {
        let mut walk = Walk::default();
        let first = page(0, 3);
        walk.step(0, None, &first, true, 10);
        // The page after `r000002` ends at `r000002` again.
        assert_eq!(
            walk.step(3, Some("r000002"), &page(0, 3), true, 10).1,
            Step::Stopped(Stop::Stuck)
        );
        // An empty page that claims more.
        assert_eq!(
            walk.step(3, Some("r000002"), &[], true, 10),
            (0, Step::Stopped(Stop::Stuck))
        );
        assert_eq!(
            walk.step(3, Some("r000002"), &[], false, 10),
            (0, Step::Done)
        );
    }

    #[test]
    fn a_repeated_page_stops_the_walk() {
        let mut walk = Walk::default();
        walk.step(0, None, &page(0, 3), true, 100);
        walk.step(3, Some("r000002"), &page(3, 3), true, 100);
        // The registry ignores `last` and starts over.
        assert_eq!(
            walk.step(6, Some("r000005"), &page(0, 3), true, 100),
            (0, Step::Stopped(Stop::Repeated))
        );
    }

    #[test]
    fn the_cap_cuts_the_list_and_says_so() {
        let mut walk = Walk::default();
        assert_eq!(walk.step(0, None, &page(0, 4), true, 10), (4, Step::More));
        assert_eq!(
            walk.step(4, Some("r000003"), &page(4, 4), true, 10),
            (4, Step::More)
        );
        assert_eq!(
            walk.step(8, Some("r000007"), &page(8, 4), true, 10),
            (2, Step::Stopped(Stop::Cap(10)))
        );
        // Exactly at the cap with nothing more: done, not cut.
        let mut walk = Walk::default();
        assert_eq!(
            walk.step(0, None, &page(0, 10), false, 10),
            (10, Step::Done)
        );
        let mut walk = Walk::default();
        assert_eq!(
            walk.step(0, None, &page(0, 10), true, 10),
            (10, Step::Stopped(Stop::Cap(10)))
        );
        assert_eq!(Stop::Cap(MAX_NAMES).describe(), "truncated at 100,000");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(4_000), "4,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}

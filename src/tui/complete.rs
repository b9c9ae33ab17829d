//! Tab completion for the `:` prompt: repository names from the catalogs already listed, and
//! after `repository:` the tags already listed. Nothing is fetched to complete: Tab offers
//! what the screens before have shown.

use super::action::Location;
use super::views::View;

/// At most this many candidates are offered (a catalog can hold hundreds of thousands): the
/// first ones in name order; typing more narrows them.
pub const MAX_CANDIDATES: usize = 200;

/// The candidates of one Tab, and which of them the prompt holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub candidates: Vec<String>,
    pub index: usize,
    /// Candidates there were before the cap ([`MAX_CANDIDATES`]).
    pub total: usize,
    /// The text the Tab completed (with no candidate, it stays in the prompt).
    pub from: String,
}

impl Completion {
    /// Whether `text` is still what the last Tab put there (typing since starts afresh).
    #[must_use]
    pub fn holds(&self, text: &str) -> bool {
        match self.candidates.get(self.index) {
            Some(c) => c == text,
            None => self.from == text,
        }
    }
}

/// The next Tab on `text`: the next candidate of `last` when the prompt still holds its
/// current one, else the first of the candidates for `text` (none when nothing listed starts
/// with it: the prompt keeps the text and says so).
#[must_use]
pub fn tab(
    text: &str,
    last: Option<&Completion>,
    registry: Option<&str>,
    stack: &[View],
) -> Completion {
    if let Some(last) = last.filter(|c| c.holds(text) && !c.candidates.is_empty()) {
        return Completion {
            index: (last.index + 1) % last.candidates.len(),
            ..last.clone()
        };
    }
    let (candidates, total) = candidates(text, registry, stack);
    Completion {
        candidates,
        index: 0,
        total,
        from: text.to_string(),
    }
}

/// What `text` can become, in name order (capped), and how many there were. `text` is a
/// repository in the current `registry` (`team/ap`), or one with its host
/// (`127.0.0.1:5000/team/ap`); after a `:` (`team/app:v`) the tags of that repository.
#[must_use]
pub fn candidates(text: &str, registry: Option<&str>, stack: &[View]) -> (Vec<String>, usize) {
    // Which registry the text names, and what it typed after the host (kept as typed).
    let (host, prefix, rest) = match registry.and_then(|r| Some((r, text.strip_prefix(r)?))) {
        Some((r, tail)) if tail.starts_with('/') => (r, &text[..=r.len()], &tail[1..]),
        _ => match text.split_once('/') {
            Some((h, tail)) if known_registry(h, stack) => (h, &text[..=h.len()], tail),
            _ => match registry {
                Some(r) => (r, "", text),
                None => return (Vec::new(), 0),
            },
        },
    };
    let mut found: Vec<String> = match rest.split_once(':') {
        Some((repository, tag)) => tags(host, repository, stack)
            .filter(|t| t.starts_with(tag))
            .map(|t| format!("{prefix}{repository}:{t}"))
            .collect(),
        None => repositories(host, stack)
            .filter(|r| r.starts_with(rest))
            .map(|r| format!("{prefix}{r}"))
            .collect(),
    };
    found.sort();
    found.dedup();
    let total = found.len();
    found.truncate(MAX_CANDIDATES);
    (found, total)
}

fn known_registry(host: &str, stack: &[View]) -> bool {
    stack.iter().any(|v| v.registry() == Some(host))
}

/// The repositories of `host` that a catalog in the stack has listed.
fn repositories<'a>(host: &'a str, stack: &'a [View]) -> impl Iterator<Item = &'a str> {
    stack
        .iter()
        .filter_map(move |v| match v {
            View::Repositories(r) if r.registry == host => r.load.loaded(),
            _ => None,
        })
        .flat_map(|catalog| catalog.names.iter().map(String::as_str))
}

/// The tags of `host/repository` that a tags view in the stack has listed.
fn tags<'a>(
    host: &'a str,
    repository: &'a str,
    stack: &'a [View],
) -> impl Iterator<Item = &'a str> {
    stack
        .iter()
        .filter_map(move |v| match v {
            View::Tags(t)
                if t.repository == repository
                    && matches!(&t.location, Location::Registry(r) if r == host) =>
            {
                t.load.loaded()
            }
            _ => None,
        })
        .flat_map(|rows| rows.iter().map(|row| row.tag.as_str()))
}

/// The candidates as the prompt's hint shows them: which one of how many the prompt holds,
/// then the ones the next Tabs bring, in order (the line is cut with `…` where it ends).
#[must_use]
pub fn hint(completion: &Completion) -> String {
    let count = completion.candidates.len();
    if count == 0 {
        return "Tab: no repository or tag listed so far starts with that".to_string();
    }
    let next: Vec<&str> = (1..count)
        .map(|step| completion.candidates[(completion.index + step) % count].as_str())
        .collect();
    let mut text = format!("Tab {}/{}", completion.index + 1, completion.total);
    if !next.is_empty() {
        text.push_str(" next: ");
        text.push_str(&next.join("  "));
    }
    text
}

//! The catalog of one registry, fetched page by page as the user scrolls towards its end, or
//! all of it in the background once `G` or a filter needs the whole list (bounded: see
//! [`crate::tui::paging`]).

use std::collections::HashSet;
use std::sync::Arc;

use crate::connect::ConnectError;
use crate::tui::action::{CatalogPage, Command, Effect, Origin, RequestId, RequestIds};
use crate::tui::list::{filtered, Cursor, Memo};
use crate::tui::load::Load;
use crate::tui::paging::{Step, Stop, Walk, MAX_NAMES};

/// Whether more catalog pages can be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    Done,
    More,
    Loading(RequestId),
    Failed(crate::connect::ConnectError),
    /// The walk was cut short (the cap, a registry that does not page properly).
    Stopped(Stop),
}

impl Paging {
    /// A page is on its way or can be asked for.
    #[must_use]
    pub fn remains(&self) -> bool {
        matches!(self, Paging::More | Paging::Loading(_))
    }
}

/// How much of the catalog the view wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Goal {
    /// The next page once the selection nears the end of what is loaded.
    #[default]
    Scroll,
    /// Every page, one after the other (a filter searches them all).
    All,
    /// Every page, and then the selection on the last row (`G`).
    End,
}

/// The repositories fetched so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub names: Vec<String>,
    pub next: Paging,
    /// Pages fetched so far.
    pub pages: usize,
    /// Per repository, what the registry's API says of it (ECR); empty for the catalog.
    pub details: std::collections::HashMap<String, String>,
    /// Where the list came from when not the catalog (Docker Hub's or GitHub's API), and
    /// what it could not list.
    pub origin: Option<Origin>,
    pub goal: Goal,
    /// The pages seen, so a registry that repeats itself is noticed.
    walk: Walk,
    /// The filter's matches, by filter and length (names are only ever appended; a new
    /// catalog starts a new memo).
    memo: Memo<(String, usize)>,
}

impl Catalog {
    /// The catalog after its first page.
    #[must_use]
    pub fn first(page: &CatalogPage) -> Self {
        let mut catalog = Self {
            names: Vec::new(),
            next: Paging::More,
            pages: 0,
            details: std::collections::HashMap::new(),
            origin: page.origin.clone(),
            goal: Goal::Scroll,
            walk: Walk::default(),
            memo: Memo::default(),
        };
        catalog.add(page);
        catalog
    }

    /// Appends one page, within the bounds of the walk.
    fn add(&mut self, page: &CatalogPage) {
        let after = self.names.last().map(String::as_str);
        let (keep, step) = self.walk.step(
            self.names.len(),
            after,
            &page.repositories,
            page.more,
            MAX_NAMES,
        );
        self.names.extend(page.repositories[..keep].iter().cloned());
        self.details
            .extend(page.details.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.pages += 1;
        self.next = match step {
            Step::More => Paging::More,
            Step::Done => Paging::Done,
            Step::Stopped(stop) => Paging::Stopped(stop),
        };
    }

    /// Whether pages are being loaded in the background (not just as the user scrolls).
    #[must_use]
    pub fn filling(&self) -> bool {
        self.goal != Goal::Scroll && self.next.remains()
    }
}

#[derive(Debug, Clone)]
pub struct RepositoriesView {
    pub registry: String,
    /// The first page; later pages are tracked by [`Catalog::next`].
    pub load: Load<Catalog>,
    pub cursor: Cursor,
    pub filter: String,
    /// Docker Hub's public search for this text instead of the registry's own list.
    pub search: Option<String>,
}

/// Rows before the end of the list at which the next page is asked for.
pub const PREFETCH_MARGIN: usize = 5;
/// Repositories per catalog request: the most distribution and ECR hand out at once. A
/// registry that sends fewer with a `Link` is followed all the same (that is its page size).
pub const PAGE_SIZE: usize = 1000;

impl RepositoriesView {
    #[must_use]
    pub fn new(registry: String) -> Self {
        Self {
            registry,
            load: Load::Idle,
            cursor: Cursor::default(),
            filter: String::new(),
            search: None,
        }
    }

    /// `?WORD` submitted as the filter of Docker Hub's list: a view of the Hub's public search
    /// for WORD (the filter itself is over names already listed).
    #[must_use]
    pub fn hub_search(&self, text: &str) -> Option<Self> {
        let word = text.strip_prefix('?')?.trim();
        let hub =
            crate::listing::Service::of(&self.registry) == Some(crate::listing::Service::DockerHub);
        (hub && !word.is_empty()).then(|| Self {
            search: Some(word.to_string()),
            ..Self::new(self.registry.clone())
        })
    }

    /// Indices of the repositories the filter keeps (computed once per filter and length).
    #[must_use]
    pub fn visible(&self) -> Arc<[usize]> {
        let filter = self.names_filter();
        match self.load.loaded() {
            Some(c) => c.memo.get((filter.to_string(), c.names.len()), || {
                filtered(c.names.iter().map(String::as_str), filter)
            }),
            None => Arc::from([]),
        }
    }

    /// The filter over the names listed: on Docker Hub `?WORD` is WORD while it is typed
    /// (Enter then searches the Hub for it).
    fn names_filter(&self) -> &str {
        let hub =
            crate::listing::Service::of(&self.registry) == Some(crate::listing::Service::DockerHub);
        match self.filter.strip_prefix('?') {
            Some(word) if hub => word,
            _ => &self.filter,
        }
    }

    #[must_use]
    pub fn selected(&self) -> Option<&str> {
        let catalog = self.load.loaded()?;
        let visible = self.visible();
        visible
            .get(self.cursor.selected)
            .map(|&i| catalog.names[i].as_str())
    }

    /// Whether the selection is close enough to the end that the next page should be fetched.
    #[must_use]
    pub fn wants_next_page(&self, height: usize) -> bool {
        let Some(catalog) = self.load.loaded() else {
            return false;
        };
        catalog.next == Paging::More
            && (catalog.goal != Goal::Scroll
                || self.cursor.offset + height + PREFETCH_MARGIN >= self.visible().len())
    }

    /// After a movement: `G` while pages remain loads them all and lands on the last row;
    /// moving elsewhere meanwhile keeps loading but stays put.
    pub fn moved(&mut self, cmd: Command) {
        let Some(catalog) = self.load.loaded_mut() else {
            return;
        };
        if cmd == Command::Bottom && catalog.next.remains() {
            catalog.goal = Goal::End;
        } else if catalog.goal == Goal::End {
            catalog.goal = Goal::All;
        }
    }

    /// A filter searches every page: typing one loads the rest; clearing it stops there.
    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        let searching = !self.filter.trim().is_empty();
        if let Some(catalog) = self.load.loaded_mut() {
            match catalog.goal {
                Goal::Scroll if searching && catalog.next.remains() => catalog.goal = Goal::All,
                Goal::All if !searching => catalog.goal = Goal::Scroll,
                _ => {}
            }
        }
    }
}

/// The controller: what this view loads, and what it does with the answers.
impl RepositoriesView {
    /// The first page when nothing is loaded; the next one when the selection nears the end.
    pub fn activate(&mut self, ids: &mut RequestIds, height: usize) -> Vec<Effect> {
        if self.load.is_idle() {
            let id = ids.fresh();
            self.load = Load::Loading(id);
            if let Some(query) = &self.search {
                return vec![Effect::SearchHub {
                    id,
                    registry: self.registry.clone(),
                    query: query.clone(),
                }];
            }
            return vec![Effect::LoadCatalog {
                id,
                registry: self.registry.clone(),
                last: None,
            }];
        }
        if self.wants_next_page(height) {
            let id = ids.fresh();
            if let Some(catalog) = self.load.loaded_mut() {
                catalog.next = Paging::Loading(id);
                return vec![Effect::LoadCatalog {
                    id,
                    registry: self.registry.clone(),
                    last: catalog.names.last().cloned(),
                }];
            }
        }
        Vec::new()
    }

    /// Takes the answer to `id` when this view asked for it; `false` when it did not. After
    /// `G`, the selection follows the end as pages arrive and stays on the last row.
    pub fn catalog_loaded(
        &mut self,
        id: RequestId,
        result: &Result<CatalogPage, ConnectError>,
        height: usize,
    ) -> bool {
        if self.load.waits_for(id) {
            self.load = match result {
                Ok(page) => Load::Loaded(Catalog::first(page)),
                Err(e) => Load::Error(e.clone()),
            };
            return true;
        }
        let Some(catalog) = self.load.loaded_mut() else {
            return false;
        };
        if catalog.next != Paging::Loading(id) {
            return false;
        }
        match result {
            Ok(page) => catalog.add(page),
            Err(e) => catalog.next = Paging::Failed(e.clone()),
        }
        if catalog.goal == Goal::End {
            if !catalog.next.remains() {
                catalog.goal = Goal::Scroll;
            }
            let len = self.visible().len();
            self.cursor.apply(Command::Bottom, len, height);
        }
        true
    }

    /// The requests this view waits for.
    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
        if let Some(Paging::Loading(id)) = self.load.loaded().map(|c| &c.next) {
            out.insert(*id);
        }
    }
}

impl RepositoriesView {
    /// Enter opens the selected repository's tags (remembered once they list).
    pub fn handle_key(&mut self, cmd: Command) -> super::Handled {
        if cmd != Command::Open {
            return super::Handled::NotMine;
        }
        match self.selected() {
            Some(repo) => super::Handled::Open {
                view: Box::new(super::View::Tags(Box::new(super::TagsView::new(
                    crate::tui::action::Location::Registry(self.registry.clone()),
                    repo.to_string(),
                )))),
                remember: Some(format!("{}/{repo}", self.registry)),
            },
            None => super::Handled::Consumed(Vec::new()),
        }
    }
}

// The worker's answer this view takes, and what it waits for (issue 20).
impl RepositoriesView {
    /// This view's catalog page.
    pub fn answer(
        &mut self,
        action: &crate::tui::action::Action,
        size: (u16, u16),
    ) -> super::Answered {
        let crate::tui::action::Action::CatalogLoaded { id, result } = action else {
            return super::Answered::NotMine;
        };
        let height = crate::tui::layout::list_rows(size);
        super::Answered::taken(self.catalog_loaded(*id, result, height))
    }

    /// What this view waits for, in words (`loading repositories: 1,200 so far`).
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        match &self.load {
            Load::Idle | Load::Loading(_) => Some("fetching the catalog".into()),
            Load::Loaded(c) if c.filling() => Some(format!(
                "loading repositories: {} so far",
                crate::tui::paging::grouped(c.names.len())
            )),
            Load::Loaded(c) if matches!(c.next, Paging::Loading(_)) => {
                Some(format!("fetching catalog page {}", c.pages + 1))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On Docker Hub `?WORD` filters the names listed by WORD as it is typed; elsewhere `?`
    /// is a character like any other.
    #[test]
    fn a_question_mark_filter_on_docker_hub_filters_by_the_word_as_it_is_typed() {
        let names = ["alice/app", "alice/tools"].map(String::from).to_vec();
        for (registry, kept) in [("docker.io", vec!["alice/tools"]), ("reg.test", vec![])] {
            let mut v = RepositoriesView::new(registry.into());
            let mut ids = RequestIds::default();
            let Effect::LoadCatalog { id, .. } = v.activate(&mut ids, 20)[0].clone() else {
                panic!("the catalog first");
            };
            let page = crate::tui::action::CatalogPage {
                repositories: names.clone(),
                more: false,
                details: std::collections::HashMap::new(),
                origin: None,
            };
            assert!(v.catalog_loaded(id, &Ok(page), 20));
            v.set_filter("?too".into());
            let shown: Vec<&str> = v.visible().iter().map(|&i| names[i].as_str()).collect();
            assert_eq!(shown, kept, "{registry}");
        }
    }
}

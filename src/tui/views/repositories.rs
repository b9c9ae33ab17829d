//! The catalog of one registry, fetched page by page as the user scrolls towards its end.

use std::collections::HashSet;

use crate::connect::ConnectError;
use crate::tui::action::{CatalogPage, Effect, RequestId, RequestIds};
use crate::tui::list::{filtered, Cursor};
use crate::tui::load::Load;

/// Whether more catalog pages can be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    Done,
    More,
    Loading(RequestId),
    Failed(crate::connect::ConnectError),
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
}

#[derive(Debug, Clone)]
pub struct RepositoriesView {
    pub registry: String,
    /// The first page; later pages are tracked by [`Catalog::next`].
    pub load: Load<Catalog>,
    pub cursor: Cursor,
    pub filter: String,
}

/// Rows before the end of the list at which the next page is asked for.
pub const PREFETCH_MARGIN: usize = 5;
/// Repositories per catalog request.
pub const PAGE_SIZE: usize = 100;

impl RepositoriesView {
    #[must_use]
    pub fn new(registry: String) -> Self {
        Self {
            registry,
            load: Load::Idle,
            cursor: Cursor::default(),
            filter: String::new(),
        }
    }

    /// Indices of the repositories the filter keeps.
    #[must_use]
    pub fn visible(&self) -> Vec<usize> {
        match self.load.loaded() {
            Some(c) => filtered(c.names.iter().map(String::as_str), &self.filter),
            None => Vec::new(),
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
            && self.cursor.offset + height + PREFETCH_MARGIN >= self.visible().len()
    }
}

/// The controller: what this view loads, and what it does with the answers.
impl RepositoriesView {
    /// The first page when nothing is loaded; the next one when the selection nears the end.
    pub fn activate(&mut self, ids: &mut RequestIds, height: usize) -> Vec<Effect> {
        if self.load.is_idle() {
            let id = ids.fresh();
            self.load = Load::Loading(id);
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

    /// Takes the answer to `id` when this view asked for it; `false` when it did not.
    pub fn catalog_loaded(
        &mut self,
        id: RequestId,
        result: &Result<CatalogPage, ConnectError>,
    ) -> bool {
        if self.load.waits_for(id) {
            self.load = match result {
                Ok(page) => Load::Loaded(Catalog {
                    next: next_paging(page),
                    names: page.repositories.clone(),
                    pages: 1,
                    details: page.details.clone(),
                }),
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
            Ok(page) => {
                catalog.next = next_paging(page);
                catalog.names.extend(page.repositories.iter().cloned());
                catalog
                    .details
                    .extend(page.details.iter().map(|(k, v)| (k.clone(), v.clone())));
                catalog.pages += 1;
            }
            Err(e) => catalog.next = Paging::Failed(e.clone()),
        }
        true
    }

    /// The requests this view waits for.
    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        if let Load::Loading(id) = self.load {
            out.insert(id);
        }
        if let Some(Paging::Loading(id)) = self.load.loaded().map(|c| &c.next) {
            out.insert(*id);
        }
    }
}

fn next_paging(page: &CatalogPage) -> Paging {
    // An empty page that claims more would have us ask forever.
    if page.more && !page.repositories.is_empty() {
        Paging::More
    } else {
        Paging::Done
    }
}

//! The catalog of one registry, fetched page by page as the user scrolls towards its end.

use crate::tui::action::RequestId;
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

//! The views of the stack (registries → repositories → tags → manifest tree) and their state.

pub mod matrix;
pub mod registries;
pub mod repositories;
pub mod tags;
pub mod tree;

pub use registries::RegistriesView;
pub use repositories::{Catalog, Paging, RepositoriesView};
pub use tags::{TagRow, TagSort, TagSummary, TagsView};
pub use tree::{TreeRow, TreeView};

use super::keymap::Context;
use crate::sanitize::sanitize;

/// One entry of the view stack; breadcrumbs are derived from the stack.
#[derive(Debug, Clone)]
pub enum View {
    Registries(RegistriesView),
    Repositories(RepositoriesView),
    Tags(TagsView),
    Tree(TreeView),
}

impl View {
    /// This view's breadcrumb, sanitised (it may hold registry-supplied names).
    #[must_use]
    pub fn crumb(&self) -> String {
        match self {
            View::Registries(_) => "registries".to_string(),
            View::Repositories(v) => sanitize(&v.registry).into_owned(),
            View::Tags(v) => v.crumb(),
            View::Tree(v) => sanitize(&v.crumb).into_owned(),
        }
    }

    /// The key-map context of this view.
    #[must_use]
    pub fn context(&self) -> Context {
        match self {
            View::Registries(_) | View::Repositories(_) => Context::List,
            View::Tags(_) => Context::Tags,
            View::Tree(v) if v.raw.is_some() => Context::Raw,
            View::Tree(_) => Context::Tree,
        }
    }

    /// The registry this view is about, for resolving a repository typed at the prompt.
    #[must_use]
    pub fn registry(&self) -> Option<&str> {
        match self {
            View::Registries(_) => None,
            View::Repositories(v) => Some(&v.registry),
            View::Tags(v) => match &v.location {
                super::action::Location::Registry(r) => Some(r),
                super::action::Location::Layout(_) => None,
            },
            View::Tree(v) => match &v.reference {
                crate::reference::ImageRef::Registry(r) => Some(&r.registry),
                crate::reference::ImageRef::Layout(_) => None,
            },
        }
    }

    /// The filter of a list view (`None` for views without one).
    #[must_use]
    pub fn filter(&self) -> Option<&str> {
        match self {
            View::Registries(v) => Some(&v.filter),
            View::Repositories(v) => Some(&v.filter),
            View::Tags(v) => Some(&v.filter),
            View::Tree(_) => None,
        }
    }
}

//! The start screen: recently opened targets, then the registries the credential files name
//! (with where their credentials come from, never the secret). Static: nothing to load.

use std::collections::HashMap;

use crate::tui::list::{filtered, Cursor};

#[derive(Debug, Clone, Default)]
pub struct RegistriesView {
    /// Registries known from credential and config files.
    pub names: Vec<String>,
    /// Per registry: where its credentials come from (`docker credsStore desktop`).
    pub sources: HashMap<String, String>,
    /// Registries, repositories and references opened lately, most recent first.
    pub recent: Vec<String>,
    /// When each recent entry was last opened (seconds since the epoch), where known.
    pub recent_at: HashMap<String, u64>,
    pub cursor: Cursor,
    pub filter: String,
}

/// One row of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// What opening the row opens (a registry, `registry/repo`, or a reference).
    pub target: &'a str,
    pub recent: bool,
}

impl RegistriesView {
    /// Recent targets first, then the known registries.
    #[must_use]
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let recent = self.recent.iter().map(|t| Entry {
            target: t,
            recent: true,
        });
        let known = self.names.iter().map(|t| Entry {
            target: t,
            recent: false,
        });
        recent.chain(known).collect()
    }

    /// Indices (into [`Self::entries`]) of the rows the filter keeps.
    #[must_use]
    pub fn visible(&self) -> Vec<usize> {
        filtered(self.entries().iter().map(|e| e.target), &self.filter)
    }

    #[must_use]
    pub fn selected(&self) -> Option<&str> {
        let visible = self.visible();
        let index = *visible.get(self.cursor.selected)?;
        self.entries().get(index).map(|e| e.target)
    }

    /// Where `registry`'s credentials come from, if a file names it.
    #[must_use]
    pub fn source(&self, registry: &str) -> Option<&str> {
        self.sources.get(registry).map(String::as_str)
    }
}

impl RegistriesView {
    /// Enter opens the selected entry: a recent one may be a repository or a reference, so it
    /// opens as typed.
    pub fn handle_key(&mut self, cmd: crate::tui::action::Command) -> super::Handled {
        if cmd != crate::tui::action::Command::Open {
            return super::Handled::NotMine;
        }
        match self
            .selected()
            .and_then(|t| crate::tui::parse_target(t, None).ok())
        {
            Some(start) => super::Handled::Jump(start),
            None => super::Handled::Consumed(Vec::new()),
        }
    }
}

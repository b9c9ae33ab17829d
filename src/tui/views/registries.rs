//! The list of known registries (static: nothing to load).

use crate::tui::list::{filtered, Cursor};

#[derive(Debug, Clone, Default)]
pub struct RegistriesView {
    pub names: Vec<String>,
    pub cursor: Cursor,
    pub filter: String,
}

impl RegistriesView {
    /// Indices of the names the filter keeps.
    #[must_use]
    pub fn visible(&self) -> Vec<usize> {
        filtered(self.names.iter().map(String::as_str), &self.filter)
    }

    #[must_use]
    pub fn selected(&self) -> Option<&str> {
        let visible = self.visible();
        visible
            .get(self.cursor.selected)
            .map(|&i| self.names[i].as_str())
    }
}

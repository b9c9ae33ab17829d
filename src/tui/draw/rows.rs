//! What every list on screen shares: the filter after its title and the selected row's style.
//! Below the list renderers (lists, matrix, images, files), so none of them imports another.

use ratatui::style::Style;

use crate::sanitize::sanitize;
use crate::tui::list::Cursor;
use crate::tui::theme::Theme;

/// ` /abc` after a title when a filter is set.
pub(super) fn filter_suffix(filter: &str) -> String {
    if filter.is_empty() {
        String::new()
    } else {
        format!(" /{}", sanitize(filter))
    }
}

pub(super) fn selected_style(cursor: &Cursor, i: usize, theme: Theme) -> Style {
    if i == cursor.selected {
        theme.selected()
    } else {
        Style::new()
    }
}

//! The help overlay's text, generated from the key map for the keys that work right now; the
//! overlay draws it and the app scrolls over it.

use ratatui::text::Line;

use super::app::App;
use super::help_lines;
use super::keymap::Context;
use super::theme::Theme;

/// The context whose bindings the help overlay lists: the view underneath (or the input line).
#[must_use]
pub fn context(app: &App) -> Context {
    app.help_context()
}

/// Every binding that works now under the help, grouped by context, generated from the key map.
#[must_use]
pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    help_lines::lines(&app.bindings(context(app)), theme)
}

/// The help overlay at a screen `screen_width` columns wide: its width and its lines.
#[must_use]
pub fn sized(app: &App, theme: Theme, screen_width: u16) -> (u16, Vec<Line<'static>>) {
    help_lines::sized(&app.bindings(context(app)), theme, screen_width)
}

/// Lines of the help overlay for `app`, and how many fit on screen: the scroll range.
#[must_use]
pub fn extent(app: &App) -> (usize, usize) {
    app.help_extent()
}

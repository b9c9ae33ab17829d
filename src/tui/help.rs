//! The help overlay's text, generated from the key map for the keys that work right now; the
//! overlay draws it and the app scrolls over it.

use ratatui::text::{Line, Span};

use super::app::App;
use super::keymap::{self, Context};
use super::theme::Theme;

/// The context whose bindings the help overlay lists: the view underneath (or the input line).
#[must_use]
pub fn context(app: &App) -> Context {
    if app.input.is_some() {
        Context::Input
    } else {
        app.top().context()
    }
}

/// Every binding that works now under the help, grouped by context, generated from the key map.
#[must_use]
pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut current = None;
    for binding in app.bindings(context(app)) {
        if current != Some(binding.context) {
            if current.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(binding.context.title(), theme.bold()));
            current = Some(binding.context);
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<w$}", keymap::keys_label(binding), w = KEYS_WIDTH - 2),
                theme.key(),
            ),
            Span::raw(binding.description),
        ]));
    }
    lines
}

/// Columns the key names take before their descriptions (a description that wraps continues
/// under its start).
const KEYS_WIDTH: usize = 20;

/// The help overlay at a screen `screen_width` columns wide: its width (as wide as its
/// longest line needs, up to the screen's) and its lines, wrapped to it so none is cut.
#[must_use]
pub fn sized(app: &App, theme: Theme, screen_width: u16) -> (u16, Vec<Line<'static>>) {
    let lines = lines(app, theme);
    let longest = lines.iter().map(Line::width).max().unwrap_or(0);
    let width = u16::try_from(longest + 2)
        .unwrap_or(u16::MAX)
        .min(screen_width);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped = lines
        .iter()
        .flat_map(|l| super::wrap::wrap(l, inner, KEYS_WIDTH))
        .collect();
    (width, wrapped)
}

/// Lines of the help overlay for `app`, and how many fit on screen: the scroll range.
#[must_use]
pub fn extent(app: &App) -> (usize, usize) {
    let len = sized(app, Theme { color: false }, app.size.0).1.len();
    let height = usize::from(app.size.1.saturating_sub(2)).max(1);
    (len, height)
}

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

/// Every binding of `context`, grouped by context, generated from the key map.
#[must_use]
pub fn lines(context: Context, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut current = None;
    for binding in keymap::bindings_for(context) {
        if current != Some(binding.context) {
            if current.is_some() {
                lines.push(Line::raw(""));
            }
            lines.push(Line::styled(binding.context.title(), theme.bold()));
            current = Some(binding.context);
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<18}", keymap::keys_label(binding)),
                theme.key(),
            ),
            Span::raw(binding.description),
        ]));
    }
    lines
}

/// Lines of the help overlay for `app`, and how many fit on screen: the scroll range.
#[must_use]
pub fn extent(app: &App) -> (usize, usize) {
    let len = lines(context(app), Theme { color: false }).len();
    let height = usize::from(app.size.1.saturating_sub(2)).max(1);
    (len, height)
}

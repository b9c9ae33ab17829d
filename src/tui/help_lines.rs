//! The help overlay's lines from a list of key bindings, wrapped to a width. Knows nothing of
//! the app, so the app can scroll over them and `help` can draw them without a loop.

use ratatui::text::{Line, Span};

use super::keymap::{self, Binding};
use super::theme::Theme;

/// `bindings` (those that work now under the help), grouped by context.
#[must_use]
pub fn lines(bindings: &[&'static Binding], theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut current = None;
    for binding in bindings {
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
pub fn sized(
    bindings: &[&'static Binding],
    theme: Theme,
    screen_width: u16,
) -> (u16, Vec<Line<'static>>) {
    let lines = lines(bindings, theme);
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

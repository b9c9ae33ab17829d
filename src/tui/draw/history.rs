//! The history view (`h`): the lines of [`HistoryView`], wrapped and scrolled, the current
//! digest and the moves picked out.

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use crate::tui::load::Load;
use crate::tui::theme::Theme;
use crate::tui::views::HistoryView;

/// The history, wrapped to the view and scrolled, with where the view is on its bottom border
/// when it does not all fit. `when`: the clock and the UTC offset (ages, local times).
pub fn history(frame: &mut Frame, area: Rect, v: &HistoryView, when: (u64, i32), theme: Theme) {
    let all = v.wrapped(
        usize::from(area.width.saturating_sub(2)).max(1),
        when.0,
        when.1,
    );
    let height = usize::from(area.height.saturating_sub(2)).max(1);
    let start = v.scroll.min(all.len().saturating_sub(height));
    let end = (start + height).min(all.len());
    let lines: Vec<Line> = all[start..end]
        .iter()
        .map(|l| {
            if l.starts_with("sha256:") || l.contains("(current)") {
                Line::styled(l.clone(), theme.platform())
            } else if l.starts_with("  moved here") {
                Line::styled(l.clone(), theme.error())
            } else {
                Line::raw(l.clone())
            }
        })
        .collect();
    let mut block = Block::bordered().title(format!(" {} ", v.crumb()));
    if all.len() > height {
        let position = format!(" lines {}–{end} of {} ", start + 1, all.len());
        block = block.title_bottom(Line::styled(position, theme.dim()).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Where the history comes from (a registry keeps none): regscope's own log, in which a push
/// time is what a registry's API claimed.
pub fn status(v: &HistoryView, theme: Theme) -> Line<'static> {
    match &v.load {
        Load::Loaded(Some(_)) | Load::Refreshing(Some(_), _) => Line::styled(
            " seen: regscope's log of each resolution · pushed: the registry API's claim",
            theme.dim(),
        ),
        Load::Error(_) | Load::Loaded(None) | Load::Refreshing(None, _) => {
            Line::styled(" no history", theme.error())
        }
        Load::Idle | Load::Loading(_) => Line::raw(""),
    }
}

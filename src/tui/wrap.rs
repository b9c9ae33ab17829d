//! Word wrapping done before rendering, so scrolling can count the lines a pane really shows.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

fn char_width(ch: char) -> usize {
    Span::raw(ch.to_string()).width()
}

/// `line` broken into lines of at most `width` cells, at spaces where possible; continuation
/// lines start with `indent` spaces (a hanging indent keeps a long fix under its label).
#[must_use]
pub fn wrap(line: &Line<'_>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let indent = if indent * 2 > width { 0 } else { indent };
    let cells: Vec<(char, Style, usize)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style, char_width(c)))
        })
        .collect();
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let first = out.is_empty();
        let room = if first { width } else { width - indent };
        let mut used = 0;
        let mut end = start;
        while end < cells.len() && used + cells[end].2 <= room {
            used += cells[end].2;
            end += 1;
        }
        if end < cells.len() {
            if let Some(space) = (start + 1..end).rev().find(|&i| cells[i].0 == ' ') {
                end = space;
            }
            // A character wider than the pane still has to go somewhere.
            end = end.max(start + 1);
        }
        let mut spans = Vec::new();
        if !first && indent > 0 {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut i = start;
        while i < end {
            let style = cells[i].1;
            let mut text = String::new();
            while i < end && cells[i].1 == style {
                text.push(cells[i].0);
                i += 1;
            }
            spans.push(Span::styled(text, style));
        }
        out.push(Line::from(spans));
        start = end;
        while start < cells.len() && cells[start].0 == ' ' {
            start += 1;
        }
        if start >= cells.len() {
            return out;
        }
    }
}

/// `line` in at most `width` cells: whole when it fits, else cut with `…` as its last cell, so
/// a reader always sees that something is missing (and where to find it whole).
#[must_use]
pub fn fit(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    if width == 0 {
        return Line::default();
    }
    let room = width - 1;
    let mut used = 0;
    let mut spans = Vec::new();
    let mut last_style = line.style;
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let mut text = String::new();
        for ch in span.content.chars() {
            let w = char_width(ch);
            if used + w > room {
                break;
            }
            used += w;
            text.push(ch);
        }
        let cut = text.chars().count() < span.content.chars().count();
        if !text.is_empty() {
            spans.push(Span::styled(text, style));
        }
        last_style = style;
        if cut {
            break;
        }
    }
    spans.push(Span::styled("…", last_style));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn breaks_at_spaces_with_a_hanging_indent() {
        let line = Line::raw("fix: add USER to the Dockerfile");
        assert_eq!(
            texts(&wrap(&line, 15, 5)),
            ["fix: add USER", "     to the", "     Dockerfile"]
        );
    }

    #[test]
    fn fit_keeps_what_fits_and_marks_a_cut_with_an_ellipsis() {
        assert_eq!(fit(Line::raw("abc"), 3).to_string(), "abc");
        assert_eq!(fit(Line::raw("abcdef"), 4).to_string(), "abc…");
        let two = Line::from(vec![Span::raw("ab"), Span::raw("cdef")]);
        let cut = fit(two, 4);
        assert_eq!(cut.to_string(), "abc…");
        assert_eq!(cut.width(), 4);
        // A wide character that does not fit whole is left out, not split.
        assert_eq!(fit(Line::raw("a界b"), 3).to_string(), "a…");
        assert_eq!(fit(Line::raw("abc"), 0).to_string(), "");
    }

    #[test]
    fn long_words_are_cut_and_empty_lines_stay() {
        assert_eq!(
            texts(&wrap(&Line::raw("abcdefgh"), 3, 0)),
            ["abc", "def", "gh"]
        );
        assert_eq!(texts(&wrap(&Line::raw(""), 3, 0)), [""]);
    }
}

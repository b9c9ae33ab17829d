//! `regscope layers`: the layer table (each history step, its layer's sizes and changes) and
//! the wasted-space summary, as text; the JSON is the [`ImageLayers`] document itself.

use std::fmt::Write as _;

use crate::layers::summary::ImageLayers;
use crate::sanitize::sanitize;

use crate::present::human_size;

/// Wasted files listed in the text (the JSON lists them all).
pub const OFFENDERS: usize = 10;

fn size(bytes: u64) -> String {
    human_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// `3 (1.2 KiB)`, or `-` for none.
fn counted(n: usize, bytes: u64) -> String {
    if n == 0 {
        "-".into()
    } else {
        format!("{n} ({})", size(bytes))
    }
}

/// The efficiency as dive prints it: a percentage with two decimals.
#[must_use]
pub fn percent(efficiency: f64) -> String {
    format!("{:.2}%", efficiency * 100.0)
}

/// The text for one platform. `width` wraps long commands (none: one line each).
#[must_use]
pub fn text(image: &ImageLayers, width: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "layers of {} ({}): {} compressed, {} uncompressed",
        sanitize(&image.platform),
        crate::digest::short(&image.digest),
        size(image.compressed_bytes),
        size(image.uncompressed_bytes)
    );
    let head = format!(
        "{:<4} {:>10} {:>10}  {:<14} {:<14} {:<14} ",
        "#", "compressed", "size", "added", "changed", "removed"
    );
    let _ = writeln!(out, "{head}command");
    // The command column starts after the figures; a long one continues under itself.
    let indent = head.chars().count();
    let room = width.map_or(usize::MAX, |w| w.saturating_sub(indent).max(20));
    for step in &image.steps {
        let figures = match step.layer.and_then(|i| image.layers.get(i).map(|l| (i, l))) {
            Some((i, l)) => format!(
                "{:<4} {:>10} {:>10}  {:<14} {:<14} {:<14} ",
                format!("L{}", i + 1),
                l.compressed.map_or_else(|| "?".into(), size),
                size(l.changes.tar_bytes),
                counted(l.changes.added, l.changes.added_bytes),
                counted(l.changes.changed, l.changes.changed_bytes),
                counted(l.changes.removed, l.changes.removed_bytes),
            ),
            // A step that made no layer, or a layer past what was listed.
            None => format!("{:<indent$}", if step.empty { "-" } else { "?" }),
        };
        let lines = wrap(&step.command, room);
        let _ = writeln!(out, "{figures}{}", lines.first().map_or("", String::as_str));
        for line in lines.iter().skip(1) {
            let _ = writeln!(out, "{:indent$}{line}", "");
        }
    }
    summary(&mut out, image);
    out
}

fn summary(out: &mut String, image: &ImageLayers) {
    let w = &image.waste;
    let _ = writeln!(
        out,
        "\nwasted: {} ({} bytes), efficiency {} (as dive computes them)",
        size(w.wasted),
        w.wasted,
        percent(w.efficiency)
    );
    let _ = writeln!(
        out,
        "hidden by opaque directories: {} bytes",
        w.hidden_by_opaque
    );
    if !w.files.is_empty() {
        let _ = writeln!(
            out,
            "largest wasted files:\n{:>6} {:>10}  path",
            "copies", "bytes"
        );
        for f in w.files.iter().take(OFFENDERS) {
            let _ = writeln!(
                out,
                "{:>6} {:>10}  {}",
                f.copies,
                size(f.bytes),
                sanitize(&f.path)
            );
        }
        if w.files.len() > OFFENDERS {
            let _ = writeln!(
                out,
                "and {} more (--json lists them all)",
                w.files.len() - OFFENDERS
            );
        }
    }
    for why in &image.partial {
        let _ = writeln!(out, "partial: {}", sanitize(why));
    }
}

/// Several platforms side by side: one row each.
#[must_use]
pub fn platforms_table(images: &[ImageLayers]) -> String {
    let mut out = format!(
        "{:<20} {:>10} {:>12} {:>10} {:>10}\n",
        "platform", "layers", "compressed", "wasted", "efficiency"
    );
    for i in images {
        let _ = writeln!(
            out,
            "{:<20} {:>10} {:>12} {:>10} {:>10}",
            sanitize(&i.platform),
            i.layers.len(),
            size(i.compressed_bytes),
            size(i.waste.wasted),
            percent(i.waste.efficiency)
        );
    }
    out
}

/// `text` cut into lines of at most `room` characters, at spaces where it can.
fn wrap(text: &str, room: usize) -> Vec<String> {
    // A zero-width line would never take a character.
    let room = room.max(1);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let mut word: &str = word;
        // Ends: each turn places the word, starts an empty line (the next turn then places
        // or cuts), or cuts at least one character off the word (room is at least 1).
        while let Some(line) = lines.last_mut() {
            let used = line.chars().count();
            let len = word.chars().count();
            let sep = usize::from(used > 0);
            if used + sep + len <= room {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                break;
            }
            if used > 0 {
                lines.push(String::new());
                continue;
            }
            // A word longer than a line: cut it.
            let cut = word.char_indices().nth(room).map_or(word.len(), |(i, _)| i);
            line.push_str(&word[..cut]);
            word = &word[cut..];
            if word.is_empty() {
                break;
            }
            lines.push(String::new());
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_commands_wrap_at_spaces_and_long_words_are_cut() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(percent(2145.0 / 2325.0), "92.26%");
    }
}

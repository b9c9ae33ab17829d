//! Counts and sizes in words, the same in the text tree, the JSON notes and the TUI.

/// `1 tag`, `2 platforms`, `0 layers`: a count with its noun in the right number.
#[must_use]
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1.2 MiB`, `116 B`.
#[must_use]
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if bytes < 0 {
        // Only a hostile or broken descriptor says this; the finding explains it.
        return format!("invalid size {bytes}");
    }
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_say_one_in_the_singular_and_zero_or_more_in_the_plural() {
        assert_eq!(super::count(1, "tag", "tags"), "1 tag");
        assert_eq!(super::count(2, "platform", "platforms"), "2 platforms");
        assert_eq!(super::count(0, "layer", "layers"), "0 layers");
        assert_eq!(super::count(1, "entry", "entries"), "1 entry");
    }

    #[test]
    fn sizes() {
        assert_eq!(super::human_size(116), "116 B");
        assert_eq!(super::human_size(2048), "2.0 KiB");
        assert_eq!(super::human_size(5 * 1024 * 1024 + 1), "5.0 MiB");
    }
}

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

/// `layers 3/7 done, 2 in flight, 45.1 of 106.0 MiB`: how far the listing of an image's
/// layers has come, the same on the CLI's progress line and in the TUI.
#[must_use]
pub fn layers_progress(p: &crate::layers::fetch::Progress) -> String {
    let size = |b: u64| human_size(i64::try_from(b).unwrap_or(i64::MAX));
    let received = size(p.bytes);
    let amount = match p.total.map(size) {
        // One unit for both figures when they share it: `45.1 of 106.0 MiB`.
        Some(total) => match (received.rsplit_once(' '), total.rsplit_once(' ')) {
            (Some((n, unit)), Some((_, total_unit))) if unit == total_unit => {
                format!("{n} of {total}")
            }
            _ => format!("{received} of {total}"),
        },
        None => received,
    };
    let in_flight = if p.in_flight > 0 {
        format!(", {} in flight", p.in_flight)
    } else {
        String::new()
    };
    format!("layers {}/{} done{in_flight}, {amount}", p.done, p.layers)
}

#[cfg(test)]
mod tests {
    use crate::layers::fetch::Progress;

    #[test]
    fn layers_progress_counts_every_layer_at_once() {
        let p = Progress {
            layers: 7,
            done: 3,
            in_flight: 2,
            bytes: 47_290_777,
            total: Some(111_149_056),
        };
        assert_eq!(
            super::layers_progress(&p),
            "layers 3/7 done, 2 in flight, 45.1 of 106.0 MiB"
        );
        // Units apart, both are said; nothing in flight is not mentioned; no total, no "of".
        let p = Progress {
            layers: 2,
            done: 2,
            in_flight: 0,
            bytes: 900,
            total: Some(2048),
        };
        assert_eq!(
            super::layers_progress(&p),
            "layers 2/2 done, 900 B of 2.0 KiB"
        );
        let p = Progress { total: None, ..p };
        assert_eq!(super::layers_progress(&p), "layers 2/2 done, 900 B");
    }

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

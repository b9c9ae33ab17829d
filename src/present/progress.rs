//! How far the listing of an image's layers has come, worded once for the CLI's progress
//! line and the TUI (above `layers`, whose `Progress` it words).

use super::human_size;

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
}

//! Dates from a registry shown for people: relative while recent ("3 h ago"), else the local
//! date. The app holds the clock and the UTC offset (set by the event loop), so drawing stays a
//! pure function of the app and tests pin both.

use chrono::{DateTime, FixedOffset, Utc};

/// How recent is "recent": within a week a relative age reads faster than a date.
const RELATIVE_FOR: i64 = 7 * 86_400;

/// `created` (RFC 3339, as in an image config) for a column of about 10 characters:
/// `5 min ago`, `2 days ago`, or `2025-06-01` in local time; `-` when absent or unreadable.
/// `now` is seconds since the epoch (0: unknown, dates only); `offset` seconds east of UTC.
#[must_use]
pub fn created_label(created: Option<&str>, now: u64, offset: i32) -> String {
    let Some(at) = created.and_then(|c| DateTime::parse_from_rfc3339(c.trim()).ok()) else {
        return "-".into();
    };
    let at = at.with_timezone(&Utc);
    let secs = at.timestamp();
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    // A date slightly in the future is clock skew between machines, not a time travel.
    if now > 0 && secs <= now + 300 && now - secs < RELATIVE_FOR {
        return super::recent::age(
            u64::try_from(now).unwrap_or(0),
            u64::try_from(secs.max(0)).unwrap_or(0),
        );
    }
    match FixedOffset::east_opt(offset) {
        Some(zone) => at.with_timezone(&zone).format("%Y-%m-%d").to_string(),
        None => at.format("%Y-%m-%d").to_string(),
    }
}

/// `pushed` (as a service's tag API wrote it) for the narrow PUSHED column: `5 min ago`,
/// `3 h ago`, `12 d ago` within a year, else the local date; empty when absent or unreadable
/// (the status line has the time in full). `now` 0 (no clock): the date.
#[must_use]
pub fn pushed_label(pushed: Option<&str>, now: u64, offset: i32) -> String {
    let Some(at) = pushed.and_then(crate::listing::pushed::parse_time) else {
        return String::new();
    };
    let secs = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // A time slightly in the future is clock skew between machines.
    if now > 0 && secs <= now + 300 && now.saturating_sub(secs) < 365 * 86_400 {
        let ago = now.saturating_sub(secs);
        return match ago {
            0..60 => "just now".into(),
            60..3600 => format!("{} min ago", ago / 60),
            3600..86_400 => format!("{} h ago", ago / 3600),
            _ => format!("{} d ago", ago / 86_400),
        };
    }
    let at = DateTime::<Utc>::from(at);
    match FixedOffset::east_opt(offset) {
        Some(zone) => at.with_timezone(&zone).format("%Y-%m-%d").to_string(),
        None => at.format("%Y-%m-%d").to_string(),
    }
}

/// The machine's current offset from UTC in seconds (east positive).
#[must_use]
pub fn local_offset() -> i32 {
    chrono::Local::now().offset().local_minus_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_dates_are_relative_older_ones_local_dates() {
        let now = 1_750_000_000; // 2025-06-15T15:06:40Z
        assert_eq!(
            created_label(Some("2025-06-15T14:06:40Z"), now, 0),
            "1 h ago"
        );
        assert_eq!(
            created_label(Some("2025-06-12T15:06:40Z"), now, 0),
            "3 days ago"
        );
        assert_eq!(
            created_label(Some("2025-06-01T23:30:00Z"), now, 0),
            "2025-06-01"
        );
        // The same instant is already the next day two hours east of UTC.
        assert_eq!(
            created_label(Some("2025-06-01T23:30:00Z"), now, 2 * 3600),
            "2025-06-02"
        );
        // No clock (tests, or before the first draw): dates only.
        assert_eq!(
            created_label(Some("2025-06-15T14:06:40Z"), 0, 0),
            "2025-06-15"
        );
        assert_eq!(created_label(None, now, 0), "-");
        assert_eq!(created_label(Some("yesterday"), now, 0), "-");
        // BuildKit's reproducible builds use the epoch.
        assert_eq!(
            created_label(Some("1970-01-01T00:00:00Z"), now, 0),
            "1970-01-01"
        );
    }

    #[test]
    fn push_times_are_short_ages_within_a_year() {
        let now = 1_750_000_000; // 2025-06-15T15:06:40Z
        let label = |p: &str| pushed_label(Some(p), now, 0);
        assert_eq!(label("2025-06-15T15:06:00Z"), "just now");
        assert_eq!(label("2025-06-15T14:56:40Z"), "10 min ago");
        assert_eq!(label("2025-06-15T12:06:40.000000Z"), "3 h ago");
        assert_eq!(label("2025-06-12T15:06:40.000+00:00"), "3 d ago");
        assert_eq!(label("2025-01-15T15:06:40Z"), "151 d ago");
        assert_eq!(label("2024-01-15T15:06:40Z"), "2024-01-15", "over a year");
        assert_eq!(label("2025-07-01T00:00:00Z"), "2025-07-01", "the future");
        // Quay writes RFC 2822.
        assert_eq!(label("Thu, 12 Jun 2025 15:06:40 -0000"), "3 d ago");
        assert_eq!(
            pushed_label(Some("2025-06-12T15:06:40Z"), 0, 0),
            "2025-06-12"
        );
        assert_eq!(pushed_label(None, now, 0), "");
        assert_eq!(label("soon"), "");
        // Every label fits the 10-wide column.
        assert!(label("2025-06-15T15:06:40Z").len() <= 10);
    }
}

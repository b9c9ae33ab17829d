//! `h` on a tag: where it pointed, from regscope's log of the tags it resolved (the text of
//! `regscope history`), each digest with when it was first and last seen, newest first, and
//! what each move changed. Read and compared in the worker; scrolled like the compare view.

use std::collections::HashSet;

use std::time::SystemTime;

use chrono::{DateTime, FixedOffset, Offset as _, Utc};

use super::View;
use crate::connect::ConnectError;

use crate::reference::{ImageRef, RegistryRef};
use crate::sanitize::sanitize;
use crate::tui::action::{Command, Effect, RequestId, RequestIds};
use crate::tui::load::Load;

/// What the worker answers (defined beside the actions that carry it).
pub use crate::tui::action::HistoryAnswer as Answer;

#[derive(Debug, Clone)]
pub struct HistoryView {
    /// The tag whose history this is (`tag` set, no digest).
    pub target: RegistryRef,
    pub load: Load<Answer>,
    /// First visible line.
    pub scroll: usize,
}

impl HistoryView {
    #[must_use]
    pub fn new(target: RegistryRef) -> Self {
        Self {
            target,
            load: Load::Idle,
            scroll: 0,
        }
    }

    /// `history of team/app:v1`, for the breadcrumbs and the title.
    #[must_use]
    pub fn crumb(&self) -> String {
        sanitize(&format!(
            "history of {}:{}",
            self.target.repository,
            self.target.tag.as_deref().unwrap_or("latest")
        ))
        .into_owned()
    }

    /// The history, when it is not loaded (or was refreshed).
    pub fn activate(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if !self.load.is_idle() {
            return Vec::new();
        }
        let id = ids.fresh();
        self.load = Load::Loading(id);
        vec![Effect::LoadHistory {
            id,
            target: self.target.clone(),
        }]
    }

    /// Takes the history answering `id`; `false` when this view did not ask for it.
    pub fn loaded(&mut self, id: RequestId, result: &Result<Answer, ConnectError>) -> bool {
        if !self.load.answer(id, result) {
            return false;
        }
        self.scroll = 0;
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
    }

    /// The lines shown, sanitised: per digest (newest first) when regscope first and last saw
    /// it in local time and how long ago, when the registry says it was pushed (where its API
    /// said) (`now`: seconds since the epoch, 0 when unknown;
    /// `offset`: seconds east of UTC), and under it the move that made it current.
    #[must_use]
    pub fn lines(&self, now: u64, offset: i32) -> Vec<String> {
        let tag = self.target.tag.as_deref().unwrap_or("latest");
        let report = match &self.load {
            Load::Loaded(Some(r)) | Load::Refreshing(Some(r), _) => r,
            Load::Loaded(None) | Load::Refreshing(None, _) => {
                return vec![
                    "The history is kept in the on-disk cache, and this session has none (--no-cache, or no HOME nor XDG_CACHE_HOME): run without --no-cache.".into(),
                ]
            }
            Load::Error(e) => {
                return vec![format!(
                    "The history could not be read: {}",
                    sanitize(&e.to_string())
                )]
            }
            Load::Idle | Load::Loading(_) => return Vec::new(),
        };
        let Some((history, moves)) = report.tags.iter().find(|(h, _)| h.tag == tag) else {
            return vec![sanitize(&format!(
                "regscope has no record of {}:{tag} yet: it writes one each time it resolves the tag (the tags view, inspect, watch); a loopback registry is recorded only when REGSCOPE_CACHE_DIR is set.",
                self.target.repository
            ))
            .into_owned()];
        };
        let mut out = vec![
            match history.stints.len() {
                1 => "1 digest seen, no move".to_string(),
                n => format!(
                    "{n} digests seen, newest first; {}",
                    crate::present::count(n - 1, "move", "moves")
                ),
            },
            String::new(),
        ];
        for (i, stint) in history.stints.iter().enumerate() {
            let label = if i == 0 { "  (current)" } else { "" };
            out.push(format!("{}{label}", stint.digest.short()));
            out.push(format!(
                "  first seen {}",
                when(stint.first_seen, now, offset)
            ));
            out.push(format!(
                "  last seen  {}{}",
                when(stint.last_seen, now, offset),
                match stint.sightings {
                    1 => String::new(),
                    n => format!(", {n} sightings"),
                }
            ));
            if let Some(pushed) = stint.pushed {
                out.push(format!("  {}", crate::history::pushed_text(pushed, offset)));
            }
            if let (Some(changes), Some(from)) = (moves.get(i), history.stints.get(i + 1)) {
                out.push(format!(
                    "  moved here from {}: {}",
                    from.digest.short(),
                    changes.join("; ")
                ));
                out.push(format!(
                    "  {}",
                    crate::history::moved_text(crate::history::moved_when(from, stint), offset)
                ));
            }
        }
        out.into_iter().map(|l| sanitize(&l).into_owned()).collect()
    }

    /// The lines wrapped to `width` columns (a continuation indented under its line).
    #[must_use]
    pub fn wrapped(&self, width: usize, now: u64, offset: i32) -> Vec<String> {
        self.lines(now, offset)
            .into_iter()
            .flat_map(|line| {
                crate::tui::wrap::wrap(&ratatui::text::Line::raw(line), width, 4)
                    .into_iter()
                    .map(|part| part.to_string())
            })
            .collect()
    }

    /// Movement keys scroll, over the lines as wrapped inside the view at a screen of `size`
    /// (measured without ages: the drawing keeps the last page in view either way).
    pub fn movement(&mut self, cmd: Command, size: (u16, u16)) {
        let height = crate::tui::layout::raw_rows(size);
        let width = usize::from(size.0.saturating_sub(2)).max(1);
        let max = self.wrapped(width, 0, 0).len().saturating_sub(height);
        self.scroll = super::tree::scroll_to(self.scroll, cmd, max, height);
    }
}

/// Hands a history answer to the view that waits for it: the history itself, or a tag's last
/// move from the log to its row in a tags view.
pub fn take(stack: &mut [View], action: crate::tui::action::Action) {
    use crate::tui::action::Action;
    match action {
        Action::HistoryLoaded { id, result } => {
            stack.iter_mut().any(|view| match view {
                View::History(v) => v.loaded(id, &result),
                _ => false,
            });
        }
        Action::TagMoved {
            location,
            repository,
            tag,
            from,
            when,
        } => {
            let row = (&location, repository.as_str(), tag.as_str());
            stack.iter_mut().any(|view| match view {
                View::Tags(v) => v.logged_move(row, from.clone(), when),
                _ => false,
            });
        }
        Action::LoggedGone { id, gone } => {
            stack.iter_mut().any(|view| match view {
                View::Tags(v) => v.logged_gone(id, gone.clone()),
                _ => false,
            });
        }
        Action::MovedSinceLastLook {
            location,
            repository,
            tag,
            from,
            last_seen,
        } => {
            let row = (&location, repository.as_str(), tag.as_str());
            stack.iter_mut().any(|view| match view {
                View::Tags(v) => v.moved_since_last_look(row, from.clone(), last_seen),
                _ => false,
            });
        }
        _ => {}
    }
}

impl From<HistoryView> for View {
    fn from(v: HistoryView) -> Self {
        View::History(v)
    }
}

/// `2026-12-06 16:03:05 UTC+01:00 (12 min ago)`, the zone written as the pushed time and
/// the watch status write it; without the age when the clock is unknown.
#[must_use]
pub fn when(at: SystemTime, now: u64, offset: i32) -> String {
    let utc = DateTime::<Utc>::from(at);
    let zone = FixedOffset::east_opt(offset).unwrap_or_else(|| Utc.fix());
    let local = utc
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S UTC%:z")
        .to_string();
    if now == 0 {
        return local;
    }
    let secs = u64::try_from(utc.timestamp().max(0)).unwrap_or(0);
    format!("{local} ({})", crate::tui::recent::age(now, secs))
}

/// `h` on a tag row or a tree opened from a tag: the history view for that tag, or why there
/// is none.
pub fn open(top: &View) -> Result<HistoryView, String> {
    let reference = match top {
        View::Tags(v) if v.images.is_none() => v
            .selected()
            .map(|row| v.reference(&row.tag))
            .ok_or("select a tag to see its history")?,
        View::Tree(v) => v.reference.clone(),
        _ => return Err("history is kept per tag: open a repository's tags".into()),
    };
    match reference {
        ImageRef::Registry(r) if r.tag.is_some() => {
            Ok(HistoryView::new(RegistryRef { digest: None, ..r }))
        }
        ImageRef::Registry(_) => Err(
            "this was opened by digest, which never moves: open it by tag for its history".into(),
        ),
        ImageRef::Layout(_) => Err("an OCI layout keeps no history of its tags".into()),
    }
}

impl HistoryView {
    /// What this view waits for, in words, for the spinner (its answers come through
    /// [`take`]).
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        self.load
            .is_loading()
            .then(|| "reading the log and comparing each move".into())
    }
}

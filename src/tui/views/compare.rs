//! Two references side by side (`x` marks one, `=` compares the selection with it): the same
//! digest or not, platforms, configs, layers, attachments; the text `regscope diff` prints.

use std::collections::HashSet;
use std::sync::Arc;

use crate::connect::ConnectError;
use crate::diff::Comparison;
use crate::reference::ImageRef;
use crate::tui::action::{Command, Effect, RequestId, RequestIds};
use crate::tui::load::Load;

#[derive(Debug, Clone)]
pub struct CompareView {
    pub left: ImageRef,
    pub right: ImageRef,
    pub load: Load<Arc<Comparison>>,
    /// First visible line.
    pub scroll: usize,
}

impl CompareView {
    #[must_use]
    pub fn new(left: ImageRef, right: ImageRef) -> Self {
        Self {
            left,
            right,
            load: Load::Idle,
            scroll: 0,
        }
    }

    /// `left ⇄ right`, for the breadcrumbs.
    #[must_use]
    pub fn crumb(&self) -> String {
        format!("{} ⇄ {}", short_ref(&self.left), short_ref(&self.right))
    }

    /// The comparison, when it is not loaded (or was refreshed).
    pub fn activate(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if !self.load.is_idle() {
            return Vec::new();
        }
        let id = ids.fresh();
        self.load = Load::Loading(id);
        vec![Effect::Compare {
            id,
            left: self.left.clone(),
            right: self.right.clone(),
        }]
    }

    /// Takes the comparison answering `id`; `false` when this view did not ask for it.
    pub fn compared(
        &mut self,
        id: RequestId,
        result: &Result<Arc<Comparison>, ConnectError>,
    ) -> bool {
        if !self.load.answer(id, result) {
            return false;
        }
        self.scroll = 0;
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
    }

    /// The lines shown (already sanitised by the renderer).
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        match &self.load {
            Load::Loaded(c) | Load::Refreshing(c, _) => crate::output::diff::render(c, false)
                .lines()
                .map(str::to_string)
                .collect(),
            Load::Error(e) => vec![format!(
                "The comparison failed: {}",
                crate::sanitize::sanitize(&e.to_string())
            )],
            Load::Idle | Load::Loading(_) => Vec::new(),
        }
    }

    /// The lines wrapped to `width` columns (a continuation indented under its line), each
    /// with the line it came from: a long layer list or verdict is read whole, never cut.
    #[must_use]
    pub fn wrapped(&self, width: usize) -> Vec<(String, String)> {
        self.lines()
            .into_iter()
            .flat_map(|line| {
                crate::tui::wrap::wrap(&ratatui::text::Line::raw(line.clone()), width, 4)
                    .into_iter()
                    .map(move |part| (line.clone(), part.to_string()))
            })
            .collect()
    }

    /// Movement keys scroll, over the lines as wrapped inside the view at a screen of `size`.
    pub fn movement(&mut self, cmd: Command, size: (u16, u16)) {
        let height = crate::tui::layout::raw_rows(size);
        let width = usize::from(size.0.saturating_sub(2)).max(1);
        let max = self.wrapped(width).len().saturating_sub(height);
        self.scroll = super::tree::scroll_to(self.scroll, cmd, max, height);
    }
}

/// What the status line says when a comparison answers: its verdict line (`identical: …`,
/// `DIFFERENT: …`, `INCOMPLETE: …`), an error unless identical.
#[must_use]
pub fn status(result: &Result<Arc<Comparison>, ConnectError>) -> (String, bool) {
    match result {
        Ok(c) => (crate::output::diff::verdict_line(c), !c.identical()),
        Err(e) => (
            format!(
                "The comparison failed: {}",
                crate::sanitize::sanitize(&e.to_string())
            ),
            true,
        ),
    }
}

/// `repo:tag` (the registry is in the header already when both sides share it).
fn short_ref(r: &ImageRef) -> String {
    let text = match r {
        ImageRef::Registry(r) => {
            let mut s = r.repository.clone();
            if let Some(t) = &r.tag {
                s.push(':');
                s.push_str(t);
            } else if let Some(d) = &r.digest {
                s.push('@');
                s.push_str(&d.short());
            }
            s
        }
        ImageRef::Layout(_) => r.to_string(),
    };
    crate::sanitize::sanitize(&text).into_owned()
}

// The worker's answer this view takes, and what it waits for (issue 20).
impl CompareView {
    /// This view's comparison; the status line still shows the `x` prompt or "comparing…", so
    /// it says the outcome, as the answer to that key.
    pub fn answer(&mut self, action: &crate::tui::action::Action) -> super::Answered {
        let crate::tui::action::Action::Compared { id, result } = action else {
            return super::Answered::NotMine;
        };
        if !self.compared(*id, result) {
            return super::Answered::NotMine;
        }
        let (text, error) = status(result);
        super::Answered::Reply { text, error }
    }

    /// What this view waits for, in words, for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        self.load
            .is_loading()
            .then(|| "comparing both sides and their attachments".into())
    }
}

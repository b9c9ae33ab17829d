//! What the selection does: copy its digest, reference, fix or deploy reference (`y`, `Y`,
//! `f`, `d`), show where its digest is tagged (`w`), mark and compare (`x`, `=`).

use super::super::action::{Command, Effect};
use super::super::keymap::{self, Context};
use super::super::views::View;
use super::App;
use crate::digest::Digest;
use crate::reference::ImageRef;
use crate::sanitize::sanitize;

impl App {
    /// `y` / `Y`: the selected digest, or its full reference, to the clipboard. The digest is
    /// parsed first, so what is copied is `sha256:` and hex, never registry-supplied bytes.
    pub(super) fn copy(&mut self, full: bool) -> Vec<Effect> {
        let Some((place, digest)) = self.selected_digest() else {
            self.flash(
                "Nothing to copy here: select a resolved tag or a tree entry.".into(),
                true,
            );
            return Vec::new();
        };
        let Ok(digest) = Digest::parse(&digest) else {
            self.flash(
                "The selected digest is malformed; nothing was copied.".into(),
                true,
            );
            return Vec::new();
        };
        let text = if full {
            format!("{place}@{digest}")
        } else {
            digest.to_string()
        };
        self.copying(String::new(), sanitize(&text).into_owned());
        vec![Effect::Copy { text }]
    }

    /// `c`: the fix command of the finding shown first (the tree: at the top of the findings
    /// pane; a tag: its first finding, the target's first). Sanitised: a fix can quote
    /// registry-supplied names, and the clipboard sequence must not carry control bytes.
    pub(super) fn copy_fix(&mut self) -> Vec<Effect> {
        let Some(finding) = self.top().finding_to_fix(self.size) else {
            self.flash("No finding here to copy the fix of.".into(), true);
            return Vec::new();
        };
        let Some(fix) = &finding.fix else {
            self.flash(format!("{} has no fix to copy.", finding.code), true);
            return Vec::new();
        };
        let text = sanitize(super::super::panes::fix_command(fix)).into_owned();
        self.copying(
            String::new(),
            format!("the fix for {}: {text}", finding.code),
        );
        vec![Effect::Copy { text }]
    }

    /// `d`: `registry/repository@digest` of the image manifest that runs on the target.
    pub(super) fn copy_deploy(&mut self) -> Vec<Effect> {
        let Some(target) = self.target.clone() else {
            self.flash(
                format!(
                    "No deployment target: press {} and choose one (lambda, linux/arm64, ...).",
                    keymap::hint(self.context(), Command::ChooseTarget)
                ),
                true,
            );
            return Vec::new();
        };
        let Some((place, _)) = self.selected_digest() else {
            self.flash(
                "Nothing to deploy here: select a resolved tag or a tree.".into(),
                true,
            );
            return Vec::new();
        };
        // The report's manifest to deploy, as `check --json`'s `deployReference` names it.
        let deploy = match self.top() {
            View::Tags(v) => v
                .selected()
                .and_then(|row| row.summary.loaded())
                .and_then(|s| s.deploy.clone()),
            View::Tree(v) => v.deploy.clone(),
            _ => None,
        };
        let Some(digest) = deploy.and_then(|d| Digest::parse(&d).ok()) else {
            // Say why when the platform fits but its files say it cannot start.
            let stops = self.top().selected_tree().and_then(|i| {
                let fitting = target.fitting(&i.root)?;
                i.findings
                    .iter()
                    .find(|f| f.digest == fitting.digest && f.code.stops_start())
                    .map(|f| f.code)
            });
            let text = match stops {
                Some(code) => format!(
                    "The {} manifest here cannot start ({code}, from its files); nothing copied.",
                    target.platform()
                ),
                None => format!("Nothing here runs on {target}."),
            };
            self.flash(text, true);
            return Vec::new();
        };
        let text = format!("{place}@{digest}");
        self.copying(format!("runs on {target}; "), sanitize(&text).into_owned());
        vec![Effect::Copy { text }]
    }

    /// The selected item's repository (`registry/repo`, `oci:DIR`) and digest, if any.
    pub(super) fn selected_digest(&self) -> Option<(String, String)> {
        self.top().selected_digest()
    }

    /// The reference the selection stands for: a tag row's, or the tree view's.
    pub(super) fn selected_reference(&self) -> Option<ImageRef> {
        match self.top() {
            View::Tags(v) if v.images.is_none() => v.selected().map(|row| v.reference(&row.tag)),
            View::Tree(v) => Some(v.reference.clone()),
            _ => None,
        }
    }

    /// `w`: which tags (and indexes of tags) point at the selected digest, from the rows of
    /// the repository's tags view resolved so far: no request.
    pub(super) fn place(&mut self) {
        let Some((_, digest)) = self.selected_digest() else {
            return;
        };
        let rows = self.stack.iter().rev().find_map(|v| match v {
            View::Tags(t) => t.load.loaded(),
            _ => None,
        });
        let Some(rows) = rows else {
            self.flash("open the repository's tags to place a digest".into(), true);
            return;
        };
        let mut placement = crate::placement::Placement {
            digest: digest.clone(),
            ..crate::placement::Placement::default()
        };
        let mut unresolved = 0;
        for row in rows {
            match row.shown().loaded() {
                Some(s) => placement.add_tree(&row.tag, &s.inspected.root),
                None => unresolved += 1,
            }
        }
        placement.add_attachment_tags(rows.iter().map(|r| &r.tag));
        let mut text = format!(
            "{}: {}",
            crate::digest::short(&digest),
            placement.one_line()
        );
        if unresolved > 0 {
            text.push_str(&format!(
                " ({unresolved} tags not resolved yet: scroll or press {} to resolve them)",
                keymap::hint(Context::Tags, Command::Sort)
            ));
        }
        self.answer(text, false);
    }

    /// `x`: marks the selection for `=`.
    pub(super) fn mark(&mut self) {
        let Some(reference) = self.selected_reference() else {
            return;
        };
        let text = format!(
            "marked {}; select another tag and press {} to compare",
            sanitize(&reference.to_string()),
            keymap::hint(self.context(), Command::Compare)
        );
        self.marked = Some(reference);
        self.flash(text, false);
    }

    /// `=`: compares the marked reference (left) with the selection (right).
    pub(super) fn compare(&mut self) -> Vec<Effect> {
        let Some(right) = self.selected_reference() else {
            return Vec::new();
        };
        let Some(left) = self.marked.clone() else {
            self.flash(
                format!(
                    "mark a tag with {} first, then press {} on another",
                    keymap::hint(self.context(), Command::Mark),
                    keymap::hint(self.context(), Command::Compare)
                ),
                true,
            );
            return Vec::new();
        };
        let text = format!(
            "comparing {} with {}…",
            sanitize(&left.to_string()),
            sanitize(&right.to_string())
        );
        self.flash(text, false);
        self.stack
            .push(View::Compare(super::super::views::CompareView::new(
                left, right,
            )));
        self.activate()
    }
}

//! The input line: its keys (`Enter`, `Tab`, history), what is typed into it, and the
//! filter it sets as the user types.

use super::super::action::{Command, Effect};
use super::super::parse_target;
use super::super::views::View;
use super::{App, InputKind, TARGETS, WORD_BREAKS};
use crate::analysis::Target;

impl App {
    pub(super) fn input_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(input) = self.input.as_mut() else {
            return Vec::new();
        };
        match (input.kind, cmd) {
            (_, Command::DeleteChar | Command::DeleteWord | Command::ClearInput) => {
                match cmd {
                    Command::DeleteChar => {
                        input.text.pop();
                    }
                    // As a shell's Ctrl-W, where a reference's parts are words: separators
                    // at the end, then back to the one before (`host:5000/team/` of
                    // `host:5000/team/app`).
                    Command::DeleteWord => {
                        let word_end = input.text.trim_end_matches(WORD_BREAKS).len();
                        let start = input.text[..word_end]
                            .rfind(WORD_BREAKS)
                            .map_or(0, |i| i + 1);
                        input.text.truncate(start);
                    }
                    _ => input.text.clear(),
                }
                input.error = None;
                if input.kind == InputKind::Filter {
                    let text = input.text.clone();
                    self.set_filter(text);
                    return self.activate();
                }
            }
            (InputKind::Filter, Command::Submit) if input.text.starts_with('?') => {
                self.input = None;
                return self.search_hub();
            }
            (InputKind::Filter, Command::Submit)
            | (InputKind::Open | InputKind::Target, Command::Cancel) => {
                self.input = None;
            }
            (InputKind::Filter, Command::Cancel) => {
                self.input = None;
                self.set_filter(String::new());
                return self.activate();
            }
            (InputKind::Target, Command::NextChoice) => {
                let next = TARGETS
                    .iter()
                    .position(|t| *t == input.text)
                    .map_or(0, |i| (i + 1) % TARGETS.len());
                input.text = TARGETS[next].to_string();
                input.error = None;
            }
            (InputKind::Open, Command::NextChoice) => {
                let registry = self.stack.last().and_then(View::registry);
                let c = super::super::complete::tab(
                    &input.text,
                    input.completion.as_ref(),
                    registry,
                    &self.stack,
                );
                if let Some(candidate) = c.candidates.get(c.index) {
                    input.text.clone_from(candidate);
                }
                input.completion = Some(c);
                input.error = None;
            }
            (InputKind::Target, Command::Submit) => {
                let text = input.text.trim().to_string();
                if text.is_empty() || text == "none" {
                    self.input = None;
                    self.set_target(None);
                    self.flash("No deployment target.".into(), false);
                    return Vec::new();
                }
                match Target::parse(&text) {
                    Ok(target) => {
                        self.input = None;
                        self.flash(format!("Judging tags against {target}."), false);
                        self.set_target(Some(target));
                    }
                    Err(e) => input.error = Some(e),
                }
            }
            (InputKind::Open, Command::Submit) => {
                let text = input.text.clone();
                match parse_target(&text, self.top().registry()) {
                    Ok(start) => {
                        self.input = None;
                        return self.jump(start);
                    }
                    Err(e) => {
                        if let Some(input) = self.input.as_mut() {
                            input.error = Some(e.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// `?WORD` submitted on Docker Hub's list: the Hub's public search in a view of its own
    /// (the list's filter cleared); elsewhere the text stays a filter.
    pub(super) fn search_hub(&mut self) -> Vec<Effect> {
        let View::Repositories(list) = self.top_mut() else {
            return Vec::new();
        };
        let Some(search) = list.hub_search(&list.filter.clone()) else {
            return Vec::new();
        };
        self.set_filter(String::new());
        self.stack.push(View::Repositories(search));
        self.activate()
    }

    pub(super) fn typed(&mut self, ch: char) -> Vec<Effect> {
        let Some(input) = self.input.as_mut() else {
            return Vec::new();
        };
        input.text.push(ch);
        input.error = None;
        if input.kind == InputKind::Filter {
            let text = input.text.clone();
            self.set_filter(text);
            return self.activate();
        }
        Vec::new()
    }

    pub(super) fn set_filter(&mut self, text: String) {
        let size = self.size;
        self.top_mut().set_filter(text);
        if let View::Tree(v) = self.top_mut() {
            v.show_match(size);
        }
    }
}

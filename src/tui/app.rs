//! The app state and `App::update`: synchronous, no I/O; it returns the effects to run.
//! The app owns the view stack and the overlays (help, input line, flash); each view's own
//! keys, loads and results live in its controller (`views/`).

use std::collections::{HashMap, HashSet};

mod input;
mod selection;

use super::action::{Action, Command, Effect, Location, RequestId, RequestIds};
use super::keymap::{self, Context};
use super::views::tree::scroll_to;
use super::views::{
    Answered, Handled, KeyContext, RegistriesView, RepositoriesView, TagsView, TreeView, View,
};
use super::Start;
use crate::analysis::{Finding, Target};
use crate::connect::CredentialInfo;
use crate::digest::Digest;
use crate::reference::ImageRef;

/// What the input line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// `/`: narrows the list as the user types.
    Filter,
    /// `:` / `o`: a registry, repository or reference to open.
    Open,
    /// `t`: the deployment target (empty: none).
    Target,
}

/// The usual targets, in the order Tab offers them in the target input.
pub const TARGETS: [&str; 8] = [
    "lambda",
    "lambda/arm64",
    "linux/amd64",
    "linux/arm64",
    "cloudrun",
    "fargate",
    "fargate/arm64",
    "k8s:amd64,arm64",
];

/// What `t` offers while nothing is wrong (any `os/arch[/variant]` is accepted; `none`, or
/// nothing at all, drops the target). Fits 80 columns after the prompt.
pub const TARGET_CHOICES: &str =
    "Tab: lambda, linux/amd64, cloudrun, fargate, k8s:amd64,arm64… · os/arch · none";

/// The input line at the bottom of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// Why the last submitted text could not be opened.
    pub error: Option<String>,
    /// `:`'s last Tab: its candidates, cycled while the text is the one it put there.
    pub completion: Option<super::complete::Completion>,
}

impl Input {
    fn new(kind: InputKind, text: String) -> Self {
        Self {
            kind,
            text,
            error: None,
            completion: None,
        }
    }
}

/// A short message in the status line, shown until tick `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub error: bool,
    pub until: u64,
    /// First line shown of a long one (it scrolls when taller than its box).
    pub scroll: usize,
    /// An answer to a key (`w`, `d`, `=`, a copy) too long for the status line: it stays,
    /// whole above the status line, until the next key.
    pub sticky: bool,
}

/// Where Ctrl-W stops: a reference's separators and spaces.
const WORD_BREAKS: &[char] = &[' ', '/', ':', '@'];

/// How long a flash stays: about three seconds of ticks.
const FLASH_TICKS: u64 = 20;

/// Whether a flash is too long for the status line of a screen `width` wide (it then shows
/// whole above the status line).
#[must_use]
pub fn long_flash(text: &str, width: u16) -> bool {
    ratatui::text::Line::raw(format!(" {text}")).width() > usize::from(width)
}

/// A long flash's lines, wrapped inside its box on a screen `width` wide.
#[must_use]
pub fn flash_lines(
    text: &str,
    style: ratatui::style::Style,
    width: u16,
) -> Vec<ratatui::text::Line<'static>> {
    let inner = usize::from(width.saturating_sub(2)).max(1);
    super::wrap::wrap(
        &ratatui::text::Line::styled(text.to_string(), style),
        inner,
        0,
    )
}

/// How many lines a long flash has and how many its box shows on a screen of `size`.
#[must_use]
pub fn flash_extent(text: &str, size: (u16, u16)) -> (usize, usize) {
    let body = super::layout::screen(ratatui::layout::Rect::new(0, 0, size.0, size.1)).body;
    let len = flash_lines(text, ratatui::style::Style::new(), size.0).len();
    (len, usize::from(body.height.saturating_sub(2)).max(1))
}

/// The whole state of the TUI. Drawing is a pure function of it.
#[derive(Debug, Clone)]
pub struct App {
    /// Never empty.
    pub stack: Vec<View>,
    pub input: Option<Input>,
    pub help: bool,
    /// TLS certificates are not verified (`--insecure`): the header says so on every screen.
    pub insecure: bool,
    /// Per location connected to: where its credentials come from (the header names it).
    pub connections: HashMap<Location, Option<CredentialInfo>>,
    /// First line of the help overlay shown (it scrolls when taller than the screen).
    pub help_scroll: usize,
    pub color: bool,
    /// Terminal size (columns, rows): page heights depend on it.
    pub size: (u16, u16),
    /// A one-line confirmation in the status line (`copied …`), until it expires.
    pub flash: Option<Flash>,
    /// Ticks seen so far: the spinner's frame, the flash's clock.
    pub ticks: u64,
    /// Wall-clock seconds since the epoch, set by the event loop before each draw (0: unknown,
    /// as in tests): recent entries' ages. `update` reads no clock of its own.
    pub clock: u64,
    /// The machine's offset from UTC in seconds (set by the event loop; 0 in tests): dates
    /// are shown in local time.
    pub utc_offset: i32,
    /// How often `W` polls each tag.
    pub watch_interval: std::time::Duration,
    /// Whether opened targets go to the recent list (not for the demo's throw-away registry).
    pub remember_recent: bool,
    /// What the last finished fetch cost, for the status line.
    pub last_cost: Option<crate::registry::RoundTrips>,
    /// Per location: its connection's counters, holding the pull limit it last stated (Docker
    /// Hub), for the header; shared with the worker, so read live.
    pub rate_limits: HashMap<Location, std::sync::Arc<crate::registry::Stats>>,
    /// A target opened but not loaded yet, and the stack depth of the view it opened: it is
    /// remembered once that view has loaded, and forgotten if it fails.
    unconfirmed: Option<(String, usize)>,
    /// The deployment target tags are judged against (`t`, `--target`, config `target`).
    pub target: Option<Target>,
    /// `x`: the reference `=` compares the selection with (any registry, any repository).
    pub marked: Option<ImageRef>,
    /// The copy under way: what precedes the message, and what is copied (for the flash that
    /// says where it went).
    copying: Option<(String, String)>,
    /// What opened files said, by image manifest digest: every tree holding that manifest
    /// (the tree view, tag rows, the matrix) is judged with it, now and when it loads again.
    learned: HashMap<String, Vec<Finding>>,
    /// What opened files measured (size, efficiency), by image manifest digest.
    measured: HashMap<String, super::views::files::Measured>,
    ids: RequestIds,
    quit: bool,
}

impl App {
    /// The app for `start`, and the effects that load its first view.
    #[must_use]
    pub fn new(start: Start, color: bool, size: (u16, u16)) -> (Self, Vec<Effect>) {
        let mut app = Self {
            stack: stack_for(start),
            input: None,
            help: false,
            insecure: false,
            connections: HashMap::new(),
            help_scroll: 0,
            color,
            size,
            flash: None,
            ticks: 0,
            clock: 0,
            utc_offset: 0,
            remember_recent: true,
            watch_interval: super::views::watch::DEFAULT_INTERVAL,
            last_cost: None,
            rate_limits: HashMap::new(),
            unconfirmed: None,
            target: None,
            marked: None,
            copying: None,
            learned: HashMap::new(),
            measured: HashMap::new(),
            ids: RequestIds::default(),
            quit: false,
        };
        let effects = app.activate();
        (app, effects)
    }

    /// What the files of the image manifest `digest` said joins every tree that holds it: the
    /// tree view's findings and verdict, the tag rows' WORST and verdict, the matrix.
    fn learn(&mut self, digest: String, findings: Vec<Finding>) {
        self.learned.insert(digest, findings);
        let learned = &self.learned;
        for view in &mut self.stack {
            match view {
                View::Tree(v) => {
                    v.measured.clone_from(&self.measured);
                    if let Some(i) = v
                        .load
                        .loaded()
                        .and_then(|i| super::views::files::with_files(i, learned))
                    {
                        v.learned(i);
                    }
                }
                View::Tags(v) => v.learned(|i| super::views::files::with_files(i, learned)),
                _ => {}
            }
        }
    }

    /// What earlier runs measured joins what this one did; every tree view shows it on its
    /// platform rows.
    fn measured_kept(
        &mut self,
        kept: HashMap<String, super::views::files::Measured>,
    ) -> Vec<Effect> {
        self.measured.extend(kept);
        for view in &mut self.stack {
            if let View::Tree(v) = view {
                v.measured.clone_from(&self.measured);
            }
        }
        Vec::new()
    }

    /// Judges every tag (and tree) against `target` from now on.
    pub fn set_target(&mut self, target: Option<Target>) {
        self.target = target;
        let target = self.target.as_ref();
        for view in &mut self.stack {
            view.set_target(target);
        }
    }

    #[must_use]
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The view on top of the stack.
    #[must_use]
    pub fn top(&self) -> &View {
        // `stack` is never empty: `Back` keeps the last view and `stack_for` always gives one.
        &self.stack[self.stack.len() - 1]
    }

    fn top_mut(&mut self) -> &mut View {
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// The key-map context the keyboard is in.
    #[must_use]
    pub fn context(&self) -> Context {
        if self.help {
            Context::Help
        } else if self.input.is_some() {
            Context::Input
        } else {
            self.top().context()
        }
    }

    /// Whether Esc (back) has anything to do: a filter to clear, a directory to leave or a view
    /// under this one. At the first view with nothing typed it has not, so the footer and the
    /// help leave `Esc back` out rather than promise what the key does not do.
    #[must_use]
    pub fn can_go_back(&self) -> bool {
        let top = self.top();
        self.stack.len() > 1
            || top.filter().is_some_and(|f| !f.is_empty())
            || matches!(top, View::Files(files) if !files.dir.is_empty())
    }

    /// The context whose bindings the help overlay lists: the view underneath (or the input
    /// line).
    #[must_use]
    pub fn help_context(&self) -> Context {
        if self.input.is_some() {
            Context::Input
        } else {
            self.top().context()
        }
    }

    /// Lines of the help overlay, and how many fit on screen: the scroll range.
    #[must_use]
    pub fn help_extent(&self) -> (usize, usize) {
        let bindings = self.bindings(self.help_context());
        let theme = super::theme::Theme { color: false };
        let len = super::help_lines::sized(&bindings, theme, self.size.0)
            .1
            .len();
        let height = usize::from(self.size.1.saturating_sub(2)).max(1);
        (len, height)
    }

    /// The bindings the footer and the help show now: the key map's for the context, less
    /// `back` when there is nothing to go back to and Tab in the filter (nothing to complete).
    #[must_use]
    pub fn bindings(&self, context: Context) -> Vec<&'static keymap::Binding> {
        let can_back = self.can_go_back();
        let filtering = self
            .input
            .as_ref()
            .is_some_and(|i| i.kind == InputKind::Filter);
        keymap::bindings_for(context)
            .into_iter()
            .filter(|b| can_back || b.command != Command::Back)
            .filter(|b| !filtering || b.command != Command::NextChoice)
            .collect()
    }

    /// Breadcrumbs, bottom of the stack first.
    #[must_use]
    pub fn crumbs(&self) -> Vec<String> {
        self.stack.iter().map(View::crumb).collect()
    }

    /// Applies one action; returns the I/O to start.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.apply(action);
        // Whatever the cursor is on now has been seen (its change mark goes at the next `r`).
        if let View::Tags(v) = self.top_mut() {
            v.see_selected();
        }
        effects
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Command(cmd) => self.command(cmd),
            Action::Tick => {
                self.ticks += 1;
                if self.flash.as_ref().is_some_and(|f| f.until <= self.ticks) {
                    self.flash = None;
                }
                Vec::new()
            }
            Action::Char(ch) => self.typed(ch),
            Action::Click { column, row } => {
                self.click(column, row);
                self.activate()
            }
            Action::Resize { width, height } => {
                self.size = (width, height);
                self.refit();
                self.activate()
            }
            Action::Stats(cost) => {
                self.last_cost = Some(cost);
                Vec::new()
            }
            Action::RateLimit { location, stats } => self.limit_stated(location, stats),
            Action::Connected {
                location,
                credentials,
                insecure,
            } => {
                self.insecure |= insecure.is_some();
                self.connections.insert(location, credentials);
                Vec::new()
            }
            Action::Inspected { id, result } => {
                // What the files of its manifests said is already known: the tree says it too.
                let result =
                    result.map(|i| super::views::files::with_files(&i, &self.learned).unwrap_or(i));
                self.answer_from_stack(&Action::Inspected { id, result });
                self.answered()
            }
            action @ (Action::CatalogLoaded { .. }
            | Action::TagsLoaded { .. }
            | Action::TagsRemembered { .. }
            | Action::TagsDescribed { .. }
            | Action::FilesLoaded { .. }
            | Action::Compared { .. }
            | Action::ImagesLoaded { .. }) => {
                self.answer_from_stack(&action);
                self.answered()
            }
            Action::Copied { delivery } => {
                self.copied(&delivery);
                Vec::new()
            }
            // A long job's progress (no answer yet: the job goes on).
            action @ (Action::TagsProgress { .. } | Action::FilesProgress { .. }) => {
                self.answer_from_stack(&action);
                Vec::new()
            }
            Action::MeasuredKept(kept) => self.measured_kept(kept),
            action @ Action::Watched { .. } => {
                if let Some(text) = super::views::watch::take(&mut self.stack, action) {
                    self.flash(text, false);
                }
                self.answered()
            }
            action @ (Action::TagMoved { .. }
            | Action::MovedSinceLastLook { .. }
            | Action::LoggedGone { .. }
            | Action::HistoryLoaded { .. }) => {
                super::views::history::take(&mut self.stack, action);
                self.answered()
            }
        }
    }

    /// A worker's answer to the first view that takes it (bottom of the stack first); what it
    /// learnt or has to say is finished here.
    fn answer_from_stack(&mut self, action: &Action) {
        let (size, clock) = (self.size, self.clock);
        let answered = self
            .stack
            .iter_mut()
            .map(|view| view.answer(action, size, clock))
            .find(|a| !matches!(a, Answered::NotMine));
        match answered {
            None | Some(Answered::NotMine | Answered::Taken) => {}
            Some(Answered::Flash { text, error }) => self.flash(text, error),
            Some(Answered::Reply { text, error }) => self.answer(text, error),
            Some(Answered::Learnt {
                digest,
                findings,
                measured,
            }) => {
                if let Some(m) = measured {
                    self.measured.insert(digest.clone(), m);
                }
                self.learn(digest, findings);
            }
        }
    }

    /// A key: the long flash's, the help's or the input line's while one is up; otherwise the
    /// top view's own first ([`View::handle_key`]), then the keys every view shares.
    fn command(&mut self, cmd: Command) -> Vec<Effect> {
        if cmd == Command::ForceQuit {
            self.quit = true;
            return Vec::new();
        }
        if self.long_flash_key(cmd) {
            return Vec::new();
        }
        if self.help {
            self.help_key(cmd);
            return Vec::new();
        }
        if self.input.is_some() {
            return self.input_command(cmd);
        }
        let last = self.stack.len() - 1;
        let mut ctx = KeyContext {
            size: self.size,
            ids: &mut self.ids,
            watch_interval: self.watch_interval,
        };
        match self.stack[last].handle_key(cmd, &mut ctx) {
            Handled::NotMine => self.global_key(cmd),
            Handled::Consumed(effects) => effects,
            Handled::Activate => self.activate(),
            Handled::Open { view, remember } => self.open(view, remember),
            Handled::Jump(start) => self.jump(start),
            Handled::Say {
                text,
                error,
                effects,
            } => {
                self.flash(text, error);
                effects
            }
        }
    }

    /// The help overlay's keys: close it, scroll it.
    fn help_key(&mut self, cmd: Command) {
        match cmd {
            Command::Help | Command::Back | Command::Quit => self.help = false,
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom => {
                let (len, height) = self.help_extent();
                self.help_scroll =
                    scroll_to(self.help_scroll, cmd, len.saturating_sub(height), height);
            }
            _ => {}
        }
    }

    /// The keys no view took: quitting, help, the prompts, back, copying, comparing.
    fn global_key(&mut self, cmd: Command) -> Vec<Effect> {
        match cmd {
            Command::Quit => self.quit = true,
            Command::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Command::Prompt => {
                self.input = Some(Input::new(InputKind::Open, String::new()));
            }
            Command::ChooseTarget => {
                // Empty: the header names the current target, and the choices need the room.
                self.input = Some(Input::new(InputKind::Target, String::new()));
            }
            Command::Filter => {
                if let Some(filter) = self.top().filter() {
                    self.input = Some(Input::new(InputKind::Filter, filter.to_string()));
                }
            }
            Command::Back => return self.back(),
            Command::CopyDigest if self.top().findings_focused() => return self.copy_fix(),
            Command::CopyDigest => return self.copy(false),
            Command::CopyReference => return self.copy(true),
            Command::CopyFix => return self.copy_fix(),
            Command::CopyDeploy => return self.copy_deploy(),
            Command::Mark => self.mark(),
            Command::Compare => return self.compare(),
            Command::Place => self.place(),
            Command::History => return self.push(super::views::history::open(self.top())),
            // A view's key pressed where that view is not on top does nothing.
            Command::Open
            | Command::Refresh
            | Command::Toggle
            | Command::Expand
            | Command::Collapse
            | Command::Raw
            | Command::Files
            | Command::NextMatch
            | Command::PrevMatch
            | Command::FocusNext
            | Command::Sort
            | Command::Matrix
            | Command::Untagged
            | Command::AttachmentTags
            | Command::Watch
            | Command::ChangesOnly
            | Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
            | Command::Submit
            | Command::Cancel
            | Command::DeleteChar
            | Command::DeleteWord
            | Command::ClearInput
            | Command::NextChoice
            | Command::ForceQuit => {}
        }
        Vec::new()
    }

    /// Pushes the view a key opened, starts its load, and notes the target it opens for the
    /// recent list.
    fn open(&mut self, view: Box<View>, remember: Option<String>) -> Vec<Effect> {
        self.stack.push(*view);
        let mut effects = self.activate();
        if let Some(target) = remember {
            self.remember(target);
        }
        effects.extend(self.confirm_recent());
        effects
    }

    /// Fills the registries view (when there is one) with credential sources and recent
    /// targets; `run` reads them from files before the first draw.
    pub fn set_known(&mut self, sources: HashMap<String, String>, recent: Vec<String>) {
        if let Some(View::Registries(v)) = self.stack.first_mut() {
            v.sources = sources;
            v.recent = recent;
        }
    }

    /// When each recent entry was last opened (from the recent file), for their ages.
    pub fn set_recent_times(&mut self, at: HashMap<String, u64>) {
        if let Some(View::Registries(v)) = self.stack.first_mut() {
            v.recent_at = at;
        }
    }

    /// Selects the list or tree row drawn at (`column`, `row`), if any. Overlays (help, input
    /// line) take no clicks.
    fn click(&mut self, column: u16, row: u16) {
        if self.help || self.input.is_some() {
            return;
        }
        let size = self.size;
        self.top_mut().click(column, row, size);
    }

    /// Whether the screen changes with time alone: a spinner turns or a flash is up.
    #[must_use]
    pub fn animating(&self) -> bool {
        self.flash.is_some() || self.waiting_for().is_some()
    }

    /// Every request some view still waits for; the worker aborts the rest.
    #[must_use]
    pub fn pending_requests(&self) -> HashSet<RequestId> {
        let mut ids = HashSet::new();
        for view in &self.stack {
            view.pending(&mut ids);
        }
        ids
    }

    /// Where the credentials for the top view's registry come from, once connected there.
    #[must_use]
    pub fn credentials(&self) -> Option<&CredentialInfo> {
        let registry = self.top().registry()?;
        self.connections
            .get(&Location::Registry(registry.to_string()))?
            .as_ref()
    }

    fn limit_stated(
        &mut self,
        location: Location,
        stats: std::sync::Arc<crate::registry::Stats>,
    ) -> Vec<Effect> {
        self.rate_limits.insert(location, stats);
        Vec::new()
    }

    /// The pull limit the top view's registry last stated, once it has stated one (as of the
    /// latest response, jobs still running or not).
    #[must_use]
    pub fn rate_limit(&self) -> Option<crate::registry::ratelimit::RateLimit> {
        let registry = self.top().registry()?;
        self.rate_limits
            .get(&Location::Registry(registry.to_string()))?
            .rate_limit()
    }

    /// What the top view waits for, in words (`resolving 4 tags`), for the spinner.
    #[must_use]
    pub fn waiting_for(&self) -> Option<String> {
        self.top().waiting_for()
    }

    /// A copy of `what` is on its way (the event loop performs it and answers with
    /// [`Action::Copied`]): the status line says so until it is known where it went.
    fn copying(&mut self, lead: String, what: String) {
        self.flash(format!("{lead}copying {what}…"), false);
        self.copying = Some((lead, what));
    }

    /// Where the copy went: `copied` only when it was delivered.
    fn copied(&mut self, delivery: &super::clipboard::Delivery) {
        let Some((lead, what)) = self.copying.take() else {
            return;
        };
        let error = matches!(delivery, super::clipboard::Delivery::Failed(_));
        self.answer(format!("{lead}{}", delivery.message(&what)), error);
    }

    /// A long result's box and the next key: Esc closes it (and only that), the movement
    /// keys scroll it while it is taller than its box; any other key closes it and does what
    /// it does. `true`: the box took the key.
    fn long_flash_key(&mut self, cmd: Command) -> bool {
        let size = self.size;
        let Some(flash) = self.flash.as_mut().filter(|f| f.sticky) else {
            return false;
        };
        let (len, height) = flash_extent(&flash.text, size);
        let movement = matches!(
            cmd,
            Command::Up
                | Command::Down
                | Command::PageUp
                | Command::PageDown
                | Command::Top
                | Command::Bottom
        );
        if movement && len > height {
            flash.scroll = scroll_to(flash.scroll, cmd, len - height, height);
            return true;
        }
        self.flash = None;
        cmd == Command::Back
    }

    /// A notice in the status line for a few seconds (whole above it while it lasts when it is
    /// longer than the status line).
    fn flash(&mut self, text: String, error: bool) {
        self.flash = Some(Flash {
            text,
            error,
            until: self.ticks + FLASH_TICKS,
            scroll: 0,
            sticky: false,
        });
    }

    /// The answer to a key: as [`App::flash`], but one longer than the status line stays whole
    /// above it until the next key (three seconds are too short to read it).
    fn answer(&mut self, text: String, error: bool) {
        let sticky = long_flash(&text, self.size.0);
        self.flash(text, error);
        if let Some(f) = self.flash.as_mut().filter(|_| sticky) {
            f.sticky = true;
            f.until = u64::MAX;
        }
    }

    /// Replaces the stack with the one `start` implies (keeping a registries list at the
    /// bottom, so Esc still leads back to it).
    fn jump(&mut self, start: Start) -> Vec<Effect> {
        let target = target_string(&start);
        let mut stack = stack_for(start);
        if let Some(View::Registries(list)) = self.stack.first() {
            if !matches!(stack.first(), Some(View::Registries(_))) {
                stack.insert(0, View::Registries(list.clone()));
            }
        }
        self.stack = stack;
        self.remember(target);
        let mut effects = self.activate();
        effects.extend(self.confirm_recent());
        effects
    }

    /// After a result: what the top view needs next, and the recent entry it confirms.
    fn answered(&mut self) -> Vec<Effect> {
        let mut effects = self.activate();
        effects.extend(self.confirm_recent());
        effects
    }

    /// Notes `target`, opened as the top view, to be remembered once that view has loaded.
    fn remember(&mut self, target: String) {
        if self.remember_recent {
            self.unconfirmed = Some((target, self.stack.len() - 1));
        }
    }

    /// After a result: the target opened last goes first in the recent list, here and
    /// (through the effect) on disk, once its view loaded; it is dropped if the view failed or
    /// is gone.
    fn confirm_recent(&mut self) -> Option<Effect> {
        let (_, depth) = self.unconfirmed.as_ref()?;
        let loaded = match self.stack.get(*depth) {
            Some(view) => view.loaded()?,
            None => false,
        };
        let (target, _) = self.unconfirmed.take()?;
        if !loaded {
            return None;
        }
        if let Some(View::Registries(v)) = self.stack.first_mut() {
            v.recent.retain(|t| *t != target);
            v.recent.insert(0, target.clone());
            v.recent.truncate(super::recent::KEEP);
            v.recent_at.insert(target.clone(), self.clock);
        }
        Some(Effect::Remember {
            target,
            at: self.clock,
        })
    }

    fn back(&mut self) -> Vec<Effect> {
        let top = self.top_mut();
        if top.filter().is_some_and(|f| !f.is_empty()) {
            self.set_filter(String::new());
            return self.activate();
        }
        if let View::Tree(tree) = top {
            if tree.raw.take().is_some() {
                return Vec::new();
            }
        }
        // Files: up a directory first; at the root, back to the tree.
        if let View::Files(files) = self.top_mut() {
            if files.up() {
                return Vec::new();
            }
        }
        if self.stack.len() > 1 {
            self.stack.pop();
            self.refit();
        }
        self.activate()
    }

    /// Keeps every view's selection visible after a resize or a pop.
    fn refit(&mut self) {
        let size = self.size;
        for view in &mut self.stack {
            view.refit(size);
        }
    }

    /// Pushes the view a key opened and starts its load, or says why there is none.
    fn push(&mut self, view: Result<impl Into<View>, String>) -> Vec<Effect> {
        match view {
            Ok(view) => {
                self.stack.push(view.into());
                self.activate()
            }
            Err(why) => {
                self.flash(why, true);
                Vec::new()
            }
        }
    }

    fn activate(&mut self) -> Vec<Effect> {
        let size = self.size;
        let last = self.stack.len() - 1;
        // Views made since the target was chosen (opened, jumped to) learn it here.
        self.stack[last].set_target(self.target.as_ref());
        if let View::Tree(v) = &mut self.stack[last] {
            v.measured.clone_from(&self.measured);
        }
        self.stack[last].activate(&mut self.ids, size)
    }
}

/// The views `start` opens, bottom first.
fn stack_for(start: Start) -> Vec<View> {
    match start {
        Start::Registries(names) => vec![View::Registries(RegistriesView {
            names,
            ..RegistriesView::default()
        })],
        Start::Registry(registry) => {
            vec![View::Repositories(RepositoriesView::new(registry))]
        }
        Start::Repository {
            registry,
            repository,
        } => vec![
            View::Repositories(RepositoriesView::new(registry.clone())),
            View::Tags(Box::new(TagsView::new(
                Location::Registry(registry),
                repository,
            ))),
        ],
        Start::Reference(reference) => {
            let crumb = reference_crumb(&reference);
            let tree = View::Tree(TreeView::new(reference.clone(), crumb));
            match reference {
                ImageRef::Registry(r) => vec![
                    View::Repositories(RepositoriesView::new(r.registry.clone())),
                    View::Tags(Box::new(TagsView::new(
                        Location::Registry(r.registry),
                        r.repository,
                    ))),
                    tree,
                ],
                ImageRef::Layout(l) => vec![
                    View::Tags(Box::new(TagsView::new(
                        Location::Layout(l.path),
                        String::new(),
                    ))),
                    tree,
                ],
            }
        }
    }
}

/// How `start` is written in the recent list (and read back by `parse_target`).
fn target_string(start: &Start) -> String {
    match start {
        Start::Registries(_) => String::new(),
        Start::Registry(r) => r.clone(),
        Start::Repository {
            registry,
            repository,
        } => format!("{registry}/{repository}"),
        Start::Reference(r) => r.to_string(),
    }
}

/// `v7`, `sha256:db8f2a6e…`, or `v7@sha256:db8f2a6e…`.
fn reference_crumb(reference: &ImageRef) -> String {
    let (tag, digest) = match reference {
        ImageRef::Registry(r) => (r.tag.as_deref(), r.digest.as_ref()),
        ImageRef::Layout(l) => (l.tag.as_deref(), l.digest.as_ref()),
    };
    match (tag, digest.map(Digest::short)) {
        (Some(t), Some(d)) => format!("{t}@{d}"),
        (Some(t), None) => t.to_string(),
        (None, Some(d)) => d,
        (None, None) => "index.json".to_string(),
    }
}

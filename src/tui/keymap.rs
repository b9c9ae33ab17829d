//! The key map as data: (keys, context, command, description). Key dispatch, the help overlay
//! and the footer hints are all generated from [`BINDINGS`], so they cannot disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Command};

/// Where a binding applies. Lookups try the most specific context first, then `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    /// Registries, repositories, tags.
    List,
    /// The tags view (list or platform matrix): its own keys, then the list keys.
    Tags,
    Tree,
    /// The raw JSON view inside the tree view.
    Raw,
    /// The files of a platform manifest.
    Files,
    /// The input line (filter or prompt) has the keyboard.
    Input,
    /// The help overlay is open.
    Help,
}

impl Context {
    #[must_use]
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "everywhere",
            Context::List => "lists",
            Context::Tags => "tags",
            Context::Tree => "manifest tree",
            Context::Raw => "raw JSON",
            Context::Files => "files",
            Context::Input => "input line",
            Context::Help => "help",
        }
    }
}

/// A key with modifiers, as bindings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn c(ch: char) -> Key {
    Key {
        code: KeyCode::Char(ch),
        ctrl: false,
    }
}

impl Key {
    /// How the help and the footer name the key.
    #[must_use]
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Enter => "Enter".to_string(),
            KeyCode::Esc => "Esc".to_string(),
            KeyCode::Backspace => "Bksp".to_string(),
            KeyCode::Tab => "Tab".to_string(),
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(ch) => ch.to_string(),
            other => other.to_string(),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }

    fn matches(self, event: &KeyEvent) -> bool {
        let ctrl = event.modifiers.contains(KeyModifiers::CONTROL);
        // Shifted letters arrive as upper-case chars, with or without SHIFT: compare the code.
        self.code == event.code && self.ctrl == ctrl
    }
}

/// One row of the key map.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub context: Context,
    pub command: Command,
    pub description: &'static str,
    /// The short label shown in the footer, if any (the help overlay shows every binding).
    pub footer: Option<&'static str>,
}

const fn b(
    keys: &'static [Key],
    context: Context,
    command: Command,
    description: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        context,
        command,
        description,
        footer,
    }
}

use Context::{Files, Global, Help as HelpCtx, Input, List, Raw, Tags, Tree};

/// Every key binding. Order is the order of the help overlay and the footer.
pub static BINDINGS: &[Binding] = &[
    b(
        &[k(KeyCode::Enter), k(KeyCode::Right), c('l')],
        List,
        Command::Open,
        "open",
        Some("open"),
    ),
    b(
        &[c('/')],
        List,
        Command::Filter,
        "filter (every page; ?word: Docker Hub)",
        Some("filter"),
    ),
    b(
        &[c('m')],
        Tags,
        Command::Matrix,
        "switch list / platform matrix",
        Some("matrix"),
    ),
    b(
        &[c('u')],
        Tags,
        Command::Untagged,
        "every image, untagged too, and what each is",
        Some("untagged"),
    ),
    b(
        &[c('s')],
        Tags,
        Command::Sort,
        "sort: name, newest (images: size too)",
        Some("sort"),
    ),
    b(
        &[c('a')],
        Tags,
        Command::AttachmentTags,
        "show / hide attachment tags (sha256-…)",
        Some("att"),
    ),
    b(
        &[c('y')],
        Tags,
        Command::CopyDigest,
        "copy the tag's digest",
        None,
    ),
    b(
        &[c('Y')],
        Tags,
        Command::CopyReference,
        "copy registry/repository@digest",
        None,
    ),
    b(
        &[c('c')],
        Tags,
        Command::CopyFix,
        "copy the fix command of the first finding",
        Some("fix"),
    ),
    b(
        &[c('d')],
        Tags,
        Command::CopyDeploy,
        "copy repo@digest that runs on the target",
        Some("deploy"),
    ),
    b(
        &[c('x')],
        Tags,
        Command::Mark,
        "mark to compare with another tag",
        Some("mark"),
    ),
    b(
        &[c('=')],
        Tags,
        Command::Compare,
        "compare with the marked tag",
        Some("diff"),
    ),
    b(
        &[c('w')],
        Tags,
        Command::Place,
        "which tags point at this digest",
        Some("where"),
    ),
    b(
        &[c('W')],
        Tags,
        Command::Watch,
        "watch the tags live (moves, deletions); again: stop",
        None,
    ),
    b(
        &[c('h')],
        Tags,
        Command::History,
        "where the tag pointed before, each move's changes",
        // The footer is full at 120 columns (it would push out `r refresh`); help lists it.
        None,
    ),
    b(
        &[k(KeyCode::Enter), c(' ')],
        Tree,
        Command::Toggle,
        "expand or collapse",
        Some("expand"),
    ),
    b(
        &[k(KeyCode::Right), c('l')],
        Tree,
        Command::Expand,
        "expand / first child",
        None,
    ),
    b(
        &[k(KeyCode::Left), c('h')],
        Tree,
        Command::Collapse,
        "collapse / parent",
        None,
    ),
    b(
        &[k(KeyCode::Tab)],
        Tree,
        Command::FocusNext,
        "focus next pane; j k PgUp PgDn scroll it (findings: move between them)",
        Some("pane"),
    ),
    b(
        &[c('v')],
        Tree,
        Command::Raw,
        "raw JSON of the selected entry",
        Some("raw"),
    ),
    b(
        &[c('f')],
        Tree,
        Command::Files,
        "the files of a platform (layers merged)",
        Some("files"),
    ),
    b(
        &[c('y')],
        Tree,
        Command::CopyDigest,
        "copy the entry's digest (findings pane: the selected finding's fix)",
        None,
    ),
    b(
        &[c('Y')],
        Tree,
        Command::CopyReference,
        "copy registry/repository@digest",
        None,
    ),
    b(
        &[c('c')],
        Tree,
        Command::CopyFix,
        "copy the fix command of the top (or selected) finding",
        Some("fix"),
    ),
    b(
        &[c('d')],
        Tree,
        Command::CopyDeploy,
        "copy repo@digest that runs on the target",
        Some("deploy"),
    ),
    b(
        &[k(KeyCode::Enter), k(KeyCode::Right), c('l')],
        Files,
        Command::Open,
        "into the directory",
        Some("open"),
    ),
    b(
        &[k(KeyCode::Left), c('h')],
        Files,
        Command::Collapse,
        "up one directory",
        Some("up"),
    ),
    b(
        &[c('/')],
        Files,
        Command::Filter,
        "search every path",
        Some("search"),
    ),
    b(
        &[k(KeyCode::Tab)],
        Files,
        Command::FocusNext,
        "focus files -> layers -> findings; j k PgUp PgDn move there",
        Some("pane"),
    ),
    b(
        &[c('c')],
        Files,
        Command::ChangesOnly,
        "only what the chosen layer changed (again: everything)",
        Some("changes"),
    ),
    b(
        &[c('x')],
        Tree,
        Command::Mark,
        "mark to compare with another tag",
        Some("mark"),
    ),
    b(
        &[c('=')],
        Tree,
        Command::Compare,
        "compare with the marked tag",
        Some("diff"),
    ),
    b(
        &[c('w')],
        Tree,
        Command::Place,
        "which tags point at this entry",
        Some("where"),
    ),
    b(
        &[c('H')],
        Tree,
        Command::History,
        "where the tag pointed before, each move's changes",
        // The footer is full at 120 columns (it would push out `r refresh`); help lists it.
        None,
    ),
    b(
        &[c('v'), k(KeyCode::Esc), k(KeyCode::Backspace)],
        Raw,
        Command::Raw,
        "back to the tree",
        Some("tree"),
    ),
    b(
        &[c('/')],
        Raw,
        Command::Filter,
        "search the JSON (as you type)",
        Some("search"),
    ),
    b(
        &[c('n')],
        Raw,
        Command::NextMatch,
        "next match",
        Some("next"),
    ),
    b(
        &[c('N')],
        Raw,
        Command::PrevMatch,
        "previous match",
        Some("prev"),
    ),
    b(
        &[k(KeyCode::Enter)],
        Input,
        Command::Submit,
        "accept",
        Some("accept"),
    ),
    b(
        &[k(KeyCode::Esc)],
        Input,
        Command::Cancel,
        "cancel",
        Some("cancel"),
    ),
    b(
        &[k(KeyCode::Backspace)],
        Input,
        Command::DeleteChar,
        "delete a character",
        None,
    ),
    b(
        &[Key {
            code: KeyCode::Char('w'),
            ctrl: true,
        }],
        Input,
        Command::DeleteWord,
        "delete the last word (back to / : @ or a space)",
        None,
    ),
    b(
        &[Key {
            code: KeyCode::Char('u'),
            ctrl: true,
        }],
        Input,
        Command::ClearInput,
        "clear the line",
        None,
    ),
    b(
        &[k(KeyCode::Tab)],
        Input,
        Command::NextChoice,
        "complete: the next usual target, or (open) the next repository or tag listed",
        Some("complete"),
    ),
    b(
        &[k(KeyCode::Esc), c('?'), c('q')],
        HelpCtx,
        Command::Help,
        "close help",
        Some("close"),
    ),
    b(
        &[k(KeyCode::Up), c('k')],
        HelpCtx,
        Command::Up,
        "scroll up",
        None,
    ),
    b(
        &[k(KeyCode::Down), c('j')],
        HelpCtx,
        Command::Down,
        "scroll down",
        None,
    ),
    b(
        &[k(KeyCode::PageUp)],
        HelpCtx,
        Command::PageUp,
        "scroll a page up",
        None,
    ),
    b(
        &[k(KeyCode::PageDown), c(' ')],
        HelpCtx,
        Command::PageDown,
        "scroll a page down",
        Some("scroll"),
    ),
    b(&[k(KeyCode::Up), c('k')], Global, Command::Up, "up", None),
    b(
        &[k(KeyCode::Down), c('j')],
        Global,
        Command::Down,
        "down",
        None,
    ),
    b(
        &[k(KeyCode::PageUp)],
        Global,
        Command::PageUp,
        "page up",
        None,
    ),
    b(
        &[k(KeyCode::PageDown)],
        Global,
        Command::PageDown,
        "page down",
        None,
    ),
    b(&[c('g')], Global, Command::Top, "first", None),
    b(
        &[c('G')],
        Global,
        Command::Bottom,
        "last (loads every catalog page)",
        None,
    ),
    b(
        &[k(KeyCode::Esc), k(KeyCode::Backspace)],
        Global,
        Command::Back,
        "back (clears a filter first)",
        Some("back"),
    ),
    b(
        &[c(':'), c('o')],
        Global,
        Command::Prompt,
        "open a registry, repository or reference",
        Some("open…"),
    ),
    b(
        &[c('t')],
        Global,
        Command::ChooseTarget,
        "deployment target (lambda, linux/arm64…)",
        Some("target"),
    ),
    b(
        &[c('r')],
        Global,
        Command::Refresh,
        "refresh",
        Some("refresh"),
    ),
    b(&[c('?')], Global, Command::Help, "help", Some("help")),
    b(&[c('q')], Global, Command::Quit, "quit", Some("quit")),
    b(
        &[Key {
            code: KeyCode::Char('c'),
            ctrl: true,
        }],
        Global,
        Command::ForceQuit,
        "quit from anywhere",
        None,
    ),
];

/// The contexts active for `primary`, most specific first. Input and help own the keyboard:
/// only Ctrl-C reaches the global bindings from there.
#[must_use]
pub fn active(primary: Context) -> Vec<Context> {
    match primary {
        Context::Global => vec![Global],
        Context::Tags => vec![Tags, List, Global],
        other => vec![other, Global],
    }
}

/// The bindings shown for `primary` (help overlay, footer), in table order.
#[must_use]
pub fn bindings_for(primary: Context) -> Vec<&'static Binding> {
    let contexts = active(primary);
    let exclusive = matches!(primary, Context::Input | Context::Help);
    contexts
        .iter()
        .flat_map(|ctx| BINDINGS.iter().filter(move |b| b.context == *ctx))
        .filter(|b| !exclusive || b.context == primary || b.command == Command::ForceQuit)
        .collect()
}

/// The action a terminal key event means in `primary`, if any.
#[must_use]
pub fn action_for(primary: Context, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if let Some(binding) = bindings_for(primary)
        .into_iter()
        .find(|b| b.keys.iter().any(|key| key.matches(event)))
    {
        return Some(Action::Command(binding.command));
    }
    match (primary, event.code) {
        (Context::Input, KeyCode::Char(ch)) if !event.modifiers.contains(KeyModifiers::CONTROL) => {
            Some(Action::Char(ch))
        }
        _ => None,
    }
}

/// The first key that runs `command` in `primary`, as the help names it: prose that tells
/// the user which key to press asks here, so it cannot disagree with the key map.
#[must_use]
pub fn key_for(primary: Context, command: Command) -> Option<String> {
    bindings_for(primary)
        .into_iter()
        .find(|b| b.command == command)
        .and_then(|b| b.keys.first())
        .map(|k| k.label())
}

/// `↑ k` for a binding.
#[must_use]
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The key of `command` for a hint written in a sentence (`r reloads`): from the key map, so
/// hints, footer and help cannot disagree; `?` (help) should the map have none in `primary`.
#[must_use]
pub fn hint(primary: Context, command: Command) -> String {
    key_for(primary, command).unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod hint_tests {
    use super::{hint, Command, Context};

    #[test]
    fn every_hint_in_a_sentence_is_a_key_of_the_map() {
        for (ctx, cmd, key) in [
            (Context::List, Command::Refresh, "r"),
            (Context::List, Command::Bottom, "G"),
            (Context::Tags, Command::AttachmentTags, "a"),
            (Context::Tags, Command::Sort, "s"),
            (Context::Tags, Command::Mark, "x"),
            (Context::Tags, Command::Compare, "="),
            (Context::Tags, Command::ChooseTarget, "t"),
            (Context::Tags, Command::Open, "Enter"),
        ] {
            assert_eq!(hint(ctx, cmd), key, "{cmd:?} in {ctx:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn specific_context_wins_over_global() {
        let enter = press(KeyCode::Enter);
        assert!(matches!(
            action_for(Context::Tree, &enter),
            Some(Action::Command(Command::Toggle))
        ));
        assert!(matches!(
            action_for(Context::List, &enter),
            Some(Action::Command(Command::Open))
        ));
        assert!(matches!(
            action_for(Context::Raw, &press(KeyCode::Esc)),
            Some(Action::Command(Command::Raw))
        ));
    }

    #[test]
    fn c_copies_a_fix_but_ctrl_c_still_quits_and_t_works_everywhere_but_in_input() {
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for ctx in [Context::Tags, Context::Tree] {
            assert!(matches!(
                action_for(ctx, &press(KeyCode::Char('c'))),
                Some(Action::Command(Command::CopyFix))
            ));
            assert!(matches!(
                action_for(ctx, &ctrl_c),
                Some(Action::Command(Command::ForceQuit))
            ));
        }
        for ctx in [Context::List, Context::Tags, Context::Tree, Context::Raw] {
            assert!(matches!(
                action_for(ctx, &press(KeyCode::Char('t'))),
                Some(Action::Command(Command::ChooseTarget))
            ));
        }
        assert!(matches!(
            action_for(Context::Input, &press(KeyCode::Char('t'))),
            Some(Action::Char('t'))
        ));
    }

    #[test]
    fn ctrl_w_and_ctrl_u_edit_the_input_line_and_type_nothing() {
        let ctrl = |ch| KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL);
        assert!(matches!(
            action_for(Context::Input, &ctrl('w')),
            Some(Action::Command(Command::DeleteWord))
        ));
        assert!(matches!(
            action_for(Context::Input, &ctrl('u')),
            Some(Action::Command(Command::ClearInput))
        ));
        // Elsewhere they mean nothing (and `w` alone still asks where a digest is tagged).
        assert!(action_for(Context::Tags, &ctrl('w')).is_none());
    }

    #[test]
    fn input_owns_the_keyboard_except_ctrl_c() {
        assert!(matches!(
            action_for(Context::Input, &press(KeyCode::Char('q'))),
            Some(Action::Char('q'))
        ));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(
            action_for(Context::Input, &ctrl_c),
            Some(Action::Command(Command::ForceQuit))
        ));
        assert!(matches!(
            action_for(Context::Help, &press(KeyCode::Char('q'))),
            Some(Action::Command(Command::Help))
        ));
    }
}

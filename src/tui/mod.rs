//! The terminal UI: a view stack over registries, repositories, tags and manifest trees.
//!
//! Architecture (see `shared/STYLE.md`): terminal events become [`Action`]s through the key map
//! (`keymap.rs`, data); [`App::update`] is synchronous and returns [`Effect`]s; the [`Worker`]
//! runs them on tokio and answers with actions tagged by request id (stale answers are
//! dropped); [`draw::draw`] is a pure function of the [`App`]. The loop drains every pending
//! event and result, then renders once.

pub mod action;
pub mod app;
pub mod clipboard;
pub mod complete;
pub mod draw;
pub mod fresh;
pub mod help;
mod help_lines;
pub mod keymap;
pub mod layout;
pub mod list;
pub mod load;
pub mod paging;
pub mod panes;
pub mod recent;
pub mod theme;
pub mod views;
pub mod when;
pub mod worker;
pub mod wrap;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, Event, MouseButton, MouseEventKind,
};
use tokio::sync::mpsc;

pub use action::{Action, Command, Effect, Inspected, Location, RequestId};
pub use app::App;
pub use worker::Worker;

use crate::analysis::Target;
use crate::connect::Connector;
use crate::reference::ImageRef;

/// What the TUI opens first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A list of known registries to pick from.
    Registries(Vec<String>),
    /// The catalog of one registry.
    Registry(String),
    /// The tags of one repository.
    Repository {
        registry: String,
        repository: String,
    },
    /// The manifest tree of one reference (registry or `oci:` layout).
    Reference(ImageRef),
}

impl Start {
    /// Parses a command-line target: `host[:port]` (a registry), `host/repo` (a repository),
    /// `host/repo:tag`, `repo@sha256:…` or `oci:DIR[:TAG]` (a reference).
    pub fn parse(target: &str) -> Result<Self, TuiError> {
        parse_target(target, None)
    }
}

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("cannot drive the terminal: {0}")]
    Terminal(#[from] std::io::Error),
    /// Nothing was typed at `:` (or given on the command line).
    #[error(
        "type a registry (127.0.0.1:5000), a repository (team/app) or a reference (team/app:v7)"
    )]
    NothingToOpen,
    /// What was typed is not a reference regscope can read.
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
}

/// Parses what the user typed at `:` (or on the command line). Without a host, a repository is
/// looked up in `registry` (the registry being browsed) when there is one, else on Docker Hub.
pub fn parse_target(input: &str, registry: Option<&str>) -> Result<Start, TuiError> {
    let s = input.trim().trim_end_matches('/');
    if s.is_empty() {
        return Err(TuiError::NothingToOpen);
    }
    if !s.starts_with("oci:") && !s.contains('/') && !s.contains('@') && is_registry_name(s) {
        return Ok(Start::Registry(s.to_string()));
    }
    let qualified = match registry {
        // A scheme is an error to explain as typed, not a repository in the current registry.
        Some(_) if s.contains("://") && !s.starts_with("oci:") => s.to_string(),
        Some(reg) if !s.starts_with("oci:") && !has_host(s) => format!("{reg}/{s}"),
        _ => s.to_string(),
    };
    let image = ImageRef::parse(&qualified)?;
    match image {
        ImageRef::Registry(r) if r.digest.is_none() && !has_explicit_tag(s) => {
            Ok(Start::Repository {
                registry: r.registry,
                repository: r.repository,
            })
        }
        other => Ok(Start::Reference(other)),
    }
}

/// `ghcr.io`, `127.0.0.1:5000`, `localhost`, `[::1]:5000`; not `alpine` or `alpine:3.19`.
fn is_registry_name(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) if !s.ends_with(']') => (h, Some(p)),
        _ => (s, None),
    };
    let host_like = host.contains('.') || host == "localhost" || host.starts_with('[');
    host_like && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

fn has_host(s: &str) -> bool {
    s.split_once('/')
        .is_some_and(|(first, _)| is_registry_name(first))
}

fn has_explicit_tag(s: &str) -> bool {
    let name = s.split('@').next().unwrap_or(s);
    name.rsplit('/').next().unwrap_or(name).contains(':')
}

/// Runs the TUI until the user quits, judging tags against `target` when there is one, and
/// keeping what opened in the recent list when `remember_recent`. The terminal (raw mode,
/// alternate screen, mouse capture) is restored on return and on panic, before the panic
/// message prints.
pub async fn run(
    start: Start,
    connector: Arc<Connector>,
    target: Option<Target>,
    remember_recent: bool,
) -> Result<(), TuiError> {
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    // `try_init` enters raw mode and the alternate screen and installs the restoring panic
    // hook; the terminal it returns writes through a line buffer (a frame in many writes),
    // so draw through our own.
    drop(ratatui::try_init()?);
    let mut terminal = Screen::new(ratatui::backend::CrosstermBackend::new(
        std::io::BufWriter::with_capacity(FRAME_BUFFER, std::io::stdout()),
    ))?;
    // Mouse capture is not part of what `ratatui::restore` undoes: release it on the way out
    // and before the panic hook ratatui installed restores the rest.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let result = match crossterm::execute!(std::io::stdout(), EnableMouseCapture) {
        Ok(()) => {
            event_loop(
                &mut terminal,
                start,
                connector,
                (target, remember_recent),
                color,
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// Events or actions taken between two draws at most.
const MAX_BATCH: usize = 512;

/// The terminal the TUI draws on: a frame goes out in one write.
type Screen =
    ratatui::Terminal<ratatui::backend::CrosstermBackend<std::io::BufWriter<std::io::Stdout>>>;

/// Large enough for a full frame of a big terminal with colours, so it is one `write`.
const FRAME_BUFFER: usize = 1 << 18;

/// Draws one frame as a synchronized update (DEC mode 2026): terminals that know it show the
/// frame whole, never half drawn; the others ignore it.
fn draw_frame(terminal: &mut Screen, app: &App) -> std::io::Result<()> {
    crossterm::queue!(
        terminal.backend_mut(),
        crossterm::terminal::BeginSynchronizedUpdate
    )?;
    terminal.draw(|frame| draw::draw(frame, app))?;
    crossterm::execute!(
        terminal.backend_mut(),
        crossterm::terminal::EndSynchronizedUpdate
    )
}

async fn event_loop(
    terminal: &mut Screen,
    start: Start,
    connector: Arc<Connector>,
    (target, remember_recent): (Option<Target>, bool),
    color: bool,
) -> Result<(), TuiError> {
    let (action_tx, mut actions) = mpsc::unbounded_channel();
    let (event_tx, mut events) = mpsc::unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    let input = spawn_input(event_tx, stop.clone());
    let insecure = connector.settings().insecure;
    let known = connector.known_registries();
    let worker = Worker::new(action_tx, connector);
    let size = terminal.size()?;
    let (mut app, effects) = App::new(start, color, (size.width, size.height));
    app.insecure = insecure;
    app.set_target(target);
    app.remember_recent = remember_recent;
    app.clock = recent::now();
    app.utc_offset = when::local_offset();
    app.watch_interval = views::watch::interval_from_env();
    let recent = if remember_recent {
        recent::file().map(|f| recent::load(&f)).unwrap_or_default()
    } else {
        Vec::new()
    };
    app.set_recent_times(
        recent
            .iter()
            .filter_map(|e| Some((e.target.clone(), e.at?)))
            .collect(),
    );
    app.set_known(
        credential_sources(&known),
        recent.into_iter().map(|e| e.target).collect(),
    );
    for effect in effects {
        perform(&worker, effect);
    }
    let mut signals = Signals::new();
    let mut ticker = tokio::time::interval(action::TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;

    let result = loop {
        if dirty {
            app.clock = recent::now();
            if let Err(e) = draw_frame(terminal, &app) {
                break Err(e.into());
            }
        }
        // Wait for something, then take everything already queued before drawing again.
        let mut batch = Vec::new();
        let animating = app.animating();
        tokio::select! {
            event = events.recv() => match event {
                Some(event) => batch.push(Incoming::Event(event)),
                // The terminal is gone (closed, hung up, unreadable): nobody is there to see
                // or quit; leave instead of running on unseen.
                None => break Ok(()),
            },
            Some(action) = actions.recv() => batch.push(Incoming::Action(action)),
            _ = ticker.tick() => batch.push(Incoming::Action(Action::Tick)),
            // `kill`, a closed terminal or a supervisor: leave like `q`, so the terminal is
            // restored (raw mode off, main screen back, cursor shown) on the way out.
            () = signals.next() => break Ok(()),
            else => break Ok(()),
        }
        // Bounded: input that never stops (a terminal gone bad, a paste of megabytes) must not
        // keep the loop from drawing, or from hearing a signal.
        while let Ok(event) = events.try_recv() {
            batch.push(Incoming::Event(event));
            if batch.len() >= MAX_BATCH {
                break;
            }
        }
        while let Ok(action) = actions.try_recv() {
            batch.push(Incoming::Action(action));
            if batch.len() >= 2 * MAX_BATCH {
                break;
            }
        }
        // Time alone changes the screen only while a spinner turns or a flash is up (or just
        // went away); anything else always redraws.
        dirty = animating
            || batch
                .iter()
                .any(|i| !matches!(i, Incoming::Action(Action::Tick)));
        for incoming in batch {
            let action = match incoming {
                Incoming::Event(event) => action_for_event(&app, &event),
                Incoming::Action(action) => Some(action),
            };
            let mut next = action;
            // A copy is answered at once (where the text went), here in the loop.
            while let Some(action) = next.take() {
                for effect in app.update(action) {
                    next = perform(&worker, effect).or(next);
                }
            }
        }
        worker.retain(&app.pending_requests());
        if app.should_quit() {
            break Ok(());
        }
    };
    stop.store(true, Ordering::Relaxed);
    // The input thread notices within one poll interval. On a hung-up terminal crossterm's
    // poll can spin without returning: then the thread is left behind (it dies with the
    // process) rather than waited for.
    for _ in 0..30 {
        if input.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(input);
    result
}

/// Per known registry: where its credentials would come from (the first source in precedence
/// order). Reads files; runs no helper; never holds a secret.
fn credential_sources(
    known: &[(String, Option<crate::auth::Source>)],
) -> std::collections::HashMap<String, String> {
    known
        .iter()
        .filter_map(|(registry, source)| Some((registry.clone(), source.as_ref()?.to_string())))
        .collect()
}

/// Runs one effect: the clipboard is the terminal's or tmux's (written here, between draws),
/// the rest is the worker's. A copy answers at once with where the text went.
fn perform(worker: &Worker, effect: Effect) -> Option<Action> {
    match effect {
        Effect::Copy { text } => {
            return Some(Action::Copied {
                delivery: clipboard::copy(&text),
            })
        }
        // Forgetting a recent entry is not worth interrupting the user for.
        Effect::Remember { target, at } => {
            if let Some(file) = recent::file() {
                let _ = recent::remember(&file, &target, at);
            }
        }
        other => worker.spawn(other),
    }
    None
}

/// SIGTERM, SIGHUP and SIGINT as one stream (SIGINT too: in raw mode Ctrl-C is a key, but
/// `kill -INT` still arrives as a signal). A signal that cannot be watched is left out.
struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = [
                SignalKind::terminate(),
                SignalKind::hangup(),
                SignalKind::interrupt(),
            ]
            .into_iter()
            .filter_map(|kind| signal(kind).ok())
            .collect();
            Self { streams }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Resolves when any of the signals arrives; never when none can be watched.
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await;
    }
}

enum Incoming {
    Event(Event),
    Action(Action),
}

/// What a terminal event means for `app` right now.
#[must_use]
pub fn action_for_event(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(key) => keymap::action_for(app.context(), key),
        Event::Resize(width, height) => Some(Action::Resize {
            width: *width,
            height: *height,
        }),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Action::Command(Command::Up)),
            MouseEventKind::ScrollDown => Some(Action::Command(Command::Down)),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: mouse.column,
                row: mouse.row,
            }),
            _ => None,
        },
        _ => None,
    }
}

/// Reads terminal events on a thread (crossterm's reader is blocking) until `stop`.
fn spawn_input(
    tx: mpsc::UnboundedSender<Event>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match crossterm::event::poll(Duration::from_millis(100)) {
                Ok(true) => match crossterm::event::read() {
                    Ok(event) => {
                        if tx.send(event).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                Ok(false) => {}
                Err(_) => break,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cannot_be_opened_says_why_by_its_kind() {
        let nothing = parse_target("  ", None).unwrap_err();
        assert!(matches!(nothing, TuiError::NothingToOpen));
        assert!(nothing
            .to_string()
            .starts_with("type a registry (127.0.0.1:5000)"));
        let bad = parse_target("Team/App:v1", Some("127.0.0.1:5000")).unwrap_err();
        assert!(matches!(bad, TuiError::Reference(_)), "{bad}");
        assert!(bad.to_string().contains("Team/App"), "{bad}");
    }

    #[test]
    fn targets() {
        assert_eq!(
            Start::parse("127.0.0.1:5000").ok(),
            Some(Start::Registry("127.0.0.1:5000".into()))
        );
        assert_eq!(
            Start::parse("ghcr.io/").ok(),
            Some(Start::Registry("ghcr.io".into()))
        );
        assert_eq!(
            Start::parse("127.0.0.1:5000/team/app").ok(),
            Some(Start::Repository {
                registry: "127.0.0.1:5000".into(),
                repository: "team/app".into()
            })
        );
        assert!(matches!(
            Start::parse("127.0.0.1:5000/team/app:v7"),
            Ok(Start::Reference(ImageRef::Registry(r))) if r.tag.as_deref() == Some("v7")
        ));
        assert!(matches!(
            Start::parse("alpine:3.19"),
            Ok(Start::Reference(ImageRef::Registry(r))) if r.repository == "library/alpine"
        ));
        assert!(matches!(
            parse_target("team/app", Some("127.0.0.1:5000")),
            Ok(Start::Repository { registry, .. }) if registry == "127.0.0.1:5000"
        ));
        assert!(matches!(
            Start::parse("oci:/tmp/x:v1"),
            Ok(Start::Reference(ImageRef::Layout(_)))
        ));
        assert!(Start::parse("  ").is_err());
    }
}

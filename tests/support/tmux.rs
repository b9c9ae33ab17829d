//! A real terminal for end-to-end TUI tests: a tmux server of the test's own (its own socket),
//! one session running the program, keys sent and the screen read back as text.
//!
//! The program runs under a shell that prints its exit status when it ends and then keeps the
//! pane open, so a program that dies early is reported with what it printed, and a clean quit
//! can be told from a crash. (tmux's own `remain-on-exit` and `#{pane_dead_status}` are not
//! used: tmux 3.3 does not always reap the pane's process, and then never learns the status.)
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the pane shows once the program has exited, before its status and `]`.
const EXITED: &str = "[tmux test: the program exited with status ";

/// How long a screen may take to show what a test waits for: generous, for a loaded machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A tmux server running one program in a 100×30 (or given size) window, killed on drop.
pub struct Tmux {
    socket: String,
    /// Text that must never be on the screen (secrets); checked on every capture.
    forbidden: Vec<String>,
}

impl Tmux {
    /// `program args` with `NO_COLOR` and its recent-list in `state_dir`, in a 100×30 window.
    /// None of the host's [`HOST_ENV`](super::HOST_ENV) reaches it: its HOME (config, cache,
    /// docker config) is `state_dir/home`, empty unless the test writes there.
    pub fn start(program: &Path, args: &[&str], state_dir: &Path) -> Tmux {
        let home = state_dir.join("home");
        std::fs::create_dir_all(&home).expect("create the program's HOME");
        let mut command = super::isolated_env_argv(&home);
        command.push(format!("REGSCOPE_STATE_DIR={}", state_dir.display()));
        command.push(program.display().to_string());
        command.extend(args.iter().map(|a| (*a).to_string()));
        Self::start_command(&command, (100, 30))
    }

    /// `argv` (run as is, no shell of the test's) in a window of `(columns, rows)`.
    pub fn start_command(argv: &[String], (columns, rows): (u16, u16)) -> Tmux {
        // One tmux server per test: tests run in parallel.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let tmux = Tmux {
            socket: format!("regscope-tui-{}-{n}", std::process::id()),
            forbidden: Vec::new(),
        };
        let (columns, rows) = (columns.to_string(), rows.to_string());
        // The shell waits for the program (it is not exec'd), reports, and stays until the
        // server is killed.
        let script = format!("\"$@\"; echo \"{EXITED}$?]\"; exec sleep 3600");
        let mut command = vec!["sh".to_string(), "-c".to_string(), script, "sh".to_string()];
        command.extend_from_slice(argv);
        let out = tmux.run(
            &[
                "new-session",
                "-d",
                "-s",
                "tui",
                "-x",
                &columns,
                "-y",
                &rows,
            ],
            &command,
        );
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    /// Fails the test whenever a captured screen contains `secret` (which has no spaces).
    pub fn forbid(&mut self, secret: &str) {
        self.forbidden.push(secret.to_string());
    }

    fn run(&self, args: &[&str], rest: &[String]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .args(rest)
            .output()
            .expect("run tmux")
    }

    /// The visible screen, one line per row.
    pub fn screen(&self) -> String {
        let screen =
            String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"], &[]).stdout)
                .into_owned();
        self.check_forbidden(&screen);
        screen
    }

    /// The pane with its scrollback: what a program that exited printed before it went.
    pub fn history(&self) -> String {
        let out = self.run(&["capture-pane", "-p", "-S", "-", "-t", "tui"], &[]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn check_forbidden(&self, screen: &str) {
        // Also with every space, border and line break taken out: a secret wrapped over two
        // rows is still on the screen.
        let squeezed: String = flowed(screen).split(' ').collect();
        for secret in &self.forbidden {
            assert!(
                !screen.contains(secret.as_str()) && !squeezed.contains(secret.as_str()),
                "a secret is on the screen:\n{screen}"
            );
        }
    }

    /// Sends tmux key names (`Enter`, `Escape`) or literal text.
    pub fn keys(&self, keys: &[&str]) {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_string()).collect();
        self.run(&["send-keys", "-t", "tui"], &keys);
    }

    /// Waits until the screen shows `text`; fails with the screen when it does not, or at once
    /// when the program has exited.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    /// Like [`wait_for`](Self::wait_for), for text a paragraph may wrap over several rows:
    /// borders and line breaks count as one space (see [`flowed`]).
    pub fn wait_for_flowed(&self, text: &str) -> String {
        let wanted = flowed(text);
        self.wait_until(text, |screen| flowed(screen).contains(&wanted))
    }

    fn wait_until(&self, what: &str, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let screen = self.screen();
            if found(&screen) {
                return self.settled(screen, &found);
            }
            assert!(
                self.alive(),
                "the program exited while waiting for {what:?}; the pane:\n{}",
                self.history()
            );
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The screen once two captures 50 ms apart agree (at most a second more): a capture can
    /// land between the writes of one frame, and a test then asserts on half a screen.
    fn settled(&self, mut screen: String, found: &impl Fn(&str) -> bool) -> String {
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(50));
            let again = self.screen();
            if again == screen || !found(&again) {
                return screen;
            }
            screen = again;
        }
        screen
    }

    /// The program's exit status, once it has exited.
    pub fn exit_status(&self) -> Option<i32> {
        let screen = self.screen();
        let (_, rest) = screen.split_once(EXITED)?;
        rest.split(']').next()?.parse().ok()
    }

    /// What tmux's paste buffer holds (`tmux show-buffer`); empty when it has none.
    pub fn show_buffer(&self) -> String {
        String::from_utf8_lossy(&self.run(&["show-buffer"], &[]).stdout).into_owned()
    }

    /// A tmux format variable of the pane (`#{alternate_on}`, `#{cursor_flag}`).
    pub fn pane_flag(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "tui", format], &[]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The program's process id (the pane's shell's child).
    pub fn program_pid(&self) -> String {
        let shell = self.pane_flag("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("run pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Ends the terminal itself (the tmux server), as closing a terminal window does.
    pub fn close_terminal(&self) {
        let _ = self.run(&["kill-server"], &[]);
    }

    /// Sends `signal` (`TERM`, `HUP`, `INT`) to the program (the pane's shell's child).
    pub fn signal_program(&self, signal: &str) {
        let shell = self.pane_flag("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("run pgrep");
        let pid = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(!pid.is_empty(), "no program under the pane's shell {shell}");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} {pid}");
    }

    /// Whether the program still runs.
    pub fn alive(&self) -> bool {
        self.exit_status().is_none()
    }

    /// Waits for the program to exit (after `q`) and returns its exit status.
    pub fn wait_exit(&self) -> i32 {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.exit_status() {
                self.check_forbidden(&self.history());
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the program did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"], &[]);
    }
}

/// `text` as one line of words: box-drawing borders and line breaks become single spaces, so
/// a sentence wrapped by a bordered paragraph reads as written.
pub fn flowed(text: &str) -> String {
    text.replace(['│', '─', '┌', '┐', '└', '┘'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

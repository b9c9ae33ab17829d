//! Putting text on the clipboard: inside tmux into tmux's own paste buffer (`tmux load-buffer
//! -w -`, which also forwards to the outer terminal's clipboard where tmux is set up to), else
//! through the terminal with OSC 52 (which works over SSH). tmux's default `set-clipboard
//! external` ignores OSC 52 from programs, so inside tmux the sequence is only the fallback.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

/// Where copied text went, so the status line says `copied` only for what was delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// In tmux's paste buffer: delivered (`tmux show-buffer` holds it).
    TmuxBuffer,
    /// The OSC 52 sequence was written to the terminal; whether the terminal honours it
    /// cannot be known.
    Osc52,
    /// Nothing could be written; why, in words.
    Failed(String),
}

impl Delivery {
    /// The status line's sentence for `what` (`sha256:…`, `the fix for X: …`) sent this way.
    #[must_use]
    pub fn message(&self, what: &str) -> String {
        match self {
            Delivery::TmuxBuffer => {
                format!("copied {what} into tmux's paste buffer (paste with prefix ])")
            }
            Delivery::Osc52 => format!(
                "sent {what} to the terminal's clipboard (OSC 52); paste with your terminal's paste"
            ),
            Delivery::Failed(why) => format!("Nothing was copied: {why}."),
        }
    }
}

/// The escape sequence that asks the terminal to set its clipboard to `text`. The payload is
/// base64, so nothing in `text` can end the sequence early or start another.
#[must_use]
pub fn osc52(text: &str) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{payload}\x07")
}

/// Copies `text`: into tmux's buffer when running inside tmux (`$TMUX` set), falling back to
/// OSC 52 on stdout (which ratatui draws on) when that fails or outside tmux.
#[must_use]
pub fn copy(text: &str) -> Delivery {
    let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    if tmux && tmux_load_buffer(text).is_ok() {
        return Delivery::TmuxBuffer;
    }
    let mut out = std::io::stdout().lock();
    match out
        .write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush())
    {
        Ok(()) => Delivery::Osc52,
        Err(e) => Delivery::Failed(format!("the terminal could not be written to ({e})")),
    }
}

/// How long tmux may take to take the buffer: the event loop waits meanwhile.
const TMUX_WAIT: Duration = Duration::from_secs(2);

/// `tmux load-buffer -w -` with `text` on its stdin; an error when tmux is missing, fails or
/// does not answer within [`TMUX_WAIT`] (then it is killed). Its output is discarded: it must
/// not write over the screen.
fn tmux_load_buffer(text: &str) -> std::io::Result<()> {
    let mut child = Command::new("tmux")
        .args(["load-buffer", "-w", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
        // Dropped here: tmux reads to the end of its input.
    }
    let deadline = Instant::now() + TMUX_WAIT;
    loop {
        if let Some(status) = child.try_wait()? {
            return if status.success() {
                Ok(())
            } else {
                Err(std::io::Error::other(format!("tmux load-buffer: {status}")))
            };
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("tmux load-buffer did not answer"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_base64() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let payload = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(osc52(digest), format!("\x1b]52;c;{payload}\x07"));
    }

    #[test]
    fn hostile_text_cannot_escape_the_sequence() {
        let seq = osc52("x\x07\x1b]0;pwned\x07");
        assert_eq!(seq.matches('\x07').count(), 1);
        assert_eq!(seq.matches('\x1b').count(), 1);
    }

    #[test]
    fn copied_is_said_only_for_what_was_delivered() {
        assert_eq!(
            Delivery::TmuxBuffer.message("sha256:ab"),
            "copied sha256:ab into tmux's paste buffer (paste with prefix ])"
        );
        let sent = Delivery::Osc52.message("sha256:ab");
        assert!(!sent.contains("copied"), "{sent}");
        assert!(sent.contains("OSC 52"), "{sent}");
        let failed = Delivery::Failed("no terminal".into()).message("sha256:ab");
        assert!(failed.starts_with("Nothing was copied"), "{failed}");
    }
}

//! OSC 52: putting text on the clipboard through the terminal, which works over SSH and, with
//! passthrough, inside tmux.

use std::io::Write;

use base64::Engine;

/// The escape sequence that asks the terminal to set its clipboard to `text`. The payload is
/// base64, so nothing in `text` can end the sequence early or start another. Inside tmux the
/// sequence is wrapped for passthrough (`allow-passthrough on`; tmux's own `set-clipboard on`
/// also forwards the unwrapped form).
#[must_use]
pub fn osc52(text: &str, tmux: bool) -> String {
    let payload = base64::engine::general_purpose::STANDARD.encode(text);
    let sequence = format!("\x1b]52;c;{payload}\x07");
    if tmux {
        // DCS passthrough: every ESC inside is doubled, the whole ends with ST.
        format!("\x1bPtmux;{}\x1b\\", sequence.replace('\x1b', "\x1b\x1b"))
    } else {
        sequence
    }
}

/// Writes the OSC 52 sequence for `text` to the terminal (stdout, which ratatui draws on).
pub fn copy(text: &str) -> std::io::Result<()> {
    let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    let mut out = std::io::stdout().lock();
    out.write_all(osc52(text, tmux).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_base64_and_tmux_gets_passthrough() {
        let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let plain = osc52(digest, false);
        let payload = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(plain, format!("\x1b]52;c;{payload}\x07"));
        let wrapped = osc52(digest, true);
        assert_eq!(
            wrapped,
            format!("\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\")
        );
    }

    #[test]
    fn hostile_text_cannot_escape_the_sequence() {
        let seq = osc52("x\x07\x1b]0;pwned\x07", false);
        assert_eq!(seq.matches('\x07').count(), 1);
        assert_eq!(seq.matches('\x1b').count(), 1);
    }
}

//! What every target checks of text that may reach a terminal.

/// Panics (a fuzzer finding) when `text` holds a character that drives a terminal: a control
/// other than a newline, or a bidi override or isolate.
pub fn assert_terminal_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    }) {
        panic!("{what} holds {c:?}: {text:?}");
    }
}

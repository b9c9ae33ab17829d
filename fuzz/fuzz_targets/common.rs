//! What the targets share: the check of text that may reach a terminal, and one runtime.
#![allow(dead_code)] // each target uses what it needs

use std::sync::OnceLock;

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

/// One current-thread runtime per process, for the targets that drive async code.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

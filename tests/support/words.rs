//! The check that keeps errors in words: no Rust `Debug` syntax and no foreign response headers
//! in anything a user reads (stderr, JSON, a TUI screen).
#![allow(dead_code)]

/// What a `Debug` dump of an error looks like, and never a sentence.
pub const DEBUG_SIGNS: [&str; 6] = [
    "{ source:",
    "Some(",
    "None",
    "StatusCode(",
    "kind: ",
    "headers: {",
];

/// Fails, quoting `text`, when it shows any of [`DEBUG_SIGNS`].
#[track_caller]
pub fn assert_no_debug_syntax(text: &str) {
    for sign in DEBUG_SIGNS {
        assert!(
            !text.contains(sign),
            "user-facing text shows Rust Debug syntax `{sign}`:\n{text}"
        );
    }
}

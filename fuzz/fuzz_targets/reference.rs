//! Image references as a user or a registry's tag list gives them: parsing never panics, a
//! parsed reference prints as one that parses back the same, and prints nothing a terminal obeys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::reference::{is_valid_repository, is_valid_tag, ImageRef};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = is_valid_repository(text);
    let _ = is_valid_tag(text);
    let Ok(parsed) = ImageRef::parse(text) else {
        return;
    };
    let shown = parsed.to_string();
    if !matches!(parsed, ImageRef::Layout(_)) {
        // A layout path is the user's own file name; registry references are the grammar's.
        common::assert_terminal_safe("a parsed reference", &shown);
    }
    let again = ImageRef::parse(&shown)
        .unwrap_or_else(|e| panic!("{text:?} printed as {shown:?}, which does not parse: {e}"));
    assert_eq!(again.to_string(), shown, "round trip of {text:?}");
});

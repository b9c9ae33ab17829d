//! `WWW-Authenticate` as a registry (or anything on its port) sends it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::registry::http::{parse_challenge, parse_www_authenticate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_challenge(text);
    let _ = parse_www_authenticate(text);
});

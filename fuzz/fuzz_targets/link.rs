//! `Link` headers of tag and catalog pages: never a panic, and the next page is always a path
//! on the registry itself (the credentials go with the request).
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::registry::next_link;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(next) = next_link(text) {
        assert!(
            next.starts_with('/') && !next.starts_with("//"),
            "{text:?} leads to {next:?}, not a path on the registry"
        );
        assert!(
            !next.contains('#'),
            "{text:?} leads to {next:?}, with a fragment"
        );
    }
});

//! What a `docker-credential-*` helper prints, with any exit status: never a panic, and neither
//! an error nor `Debug` shows the secret it printed.
#![no_main]

use std::os::unix::process::ExitStatusExt as _;
use std::process::ExitStatus;

use libfuzzer_sys::fuzz_target;
use regscope::auth::parse_helper_reply;

fuzz_target!(|data: &[u8]| {
    let Some((&code, out)) = data.split_first() else {
        return;
    };
    // Raw wait statuses: an exit code in the high byte, or a signal in the low bits.
    let status = ExitStatus::from_raw(if code < 200 {
        i32::from(code) << 8
    } else {
        i32::from(code - 199)
    });
    // The secret as the helper printed it, when its output is JSON with one.
    let printed_secret = serde_json::from_slice::<serde_json::Value>(out)
        .ok()
        .and_then(|v| v.get("Secret")?.as_str().map(str::to_string))
        .filter(|s| s.len() >= 6);
    let (shown, username) = match parse_helper_reply(status, out, "registry.example") {
        Ok(found) => (format!("{found:?}"), found.credentials.username.clone()),
        Err(e) => (format!("{e} / {e:?}"), String::new()),
    };
    if let Some(secret) = printed_secret {
        if !username.contains(&secret) && !"registry.example".contains(&secret) {
            assert!(!shown.contains(&secret), "the secret is shown: {shown}");
        }
    }
});

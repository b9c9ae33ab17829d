//! What a `docker-credential-*` helper prints, with any exit status: never a panic, and what
//! regscope shows of it (an error, or `Debug` of the credentials) never depends on the secret.
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
    // What regscope says of the reply (its `Debug` when it is credentials, its message when it
    // is an error) must not depend on the secret: the same reply with another secret reads the
    // same. (Comparing beats searching for the secret, which may be any word of the message.)
    let describe = |out: &[u8]| match parse_helper_reply(status, out, "registry.example") {
        Ok(found) => format!("{found:?}"),
        Err(e) => format!("{e} / {e:?}"),
    };
    let Ok(serde_json::Value::Object(mut reply)) = serde_json::from_slice(out) else {
        let _ = describe(out);
        return;
    };
    let Some(serde_json::Value::String(secret)) = reply.get("Secret").cloned() else {
        let _ = describe(out);
        return;
    };
    if secret.is_empty() {
        let _ = describe(out);
        return;
    }
    let other = if secret == "an-other-secret" {
        "a-third-secret"
    } else {
        "an-other-secret"
    };
    reply.insert("Secret".into(), other.into());
    let changed = serde_json::to_vec(&reply).expect("JSON");
    let original = serde_json::to_vec(&serde_json::Value::Object({
        let mut r = reply.clone();
        r.insert("Secret".into(), secret.clone().into());
        r
    }))
    .expect("JSON");
    assert_eq!(
        describe(&original),
        describe(&changed),
        "what regscope shows depends on the secret"
    );
});

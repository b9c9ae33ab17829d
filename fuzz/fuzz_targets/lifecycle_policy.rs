//! ECR lifecycle policies as `GetLifecyclePolicy` returns them: parsing validates as ECR does
//! and never panics, and a policy that parses is evaluated over a few images without panicking.
#![no_main]

use chrono::{TimeZone as _, Utc};
use libfuzzer_sys::fuzz_target;
use regscope::ecr::lifecycle::{evaluate, Image, Policy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = Policy::parse(text) else {
        return;
    };
    let at = |days: i64| Utc.timestamp_opt(1_700_000_000 + days * 86_400, 0).single();
    let images: Vec<Image> = (0..6)
        .map(|i| Image {
            digest: format!("sha256:{i:064x}"),
            tags: match i % 3 {
                0 => vec![],
                1 => vec![format!("v1.{i}"), "latest".into()],
                _ => vec![format!("prod-{i}")],
            },
            pushed_at: at(i * 10),
            last_pulled_at: if i % 2 == 0 { at(i * 20) } else { None },
            last_transitioned_at: if i == 5 { at(40) } else { None },
            last_activated_at: None,
            archived: i == 5,
            in_manifest_list: i == 4,
        })
        .collect();
    let _ = evaluate(
        &policy,
        &images,
        Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
    );
});

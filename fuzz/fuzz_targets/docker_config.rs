//! `~/.docker/config.json` and podman's `auth.json` as a user (or a tool) wrote them: the
//! resolver reads them with helpers out of reach (an empty `PATH`), never panics, and its notes
//! never print what an `auths` entry holds.
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use regscope::auth::Resolver;

#[path = "common.rs"]
mod common;

/// One directory per process, rewritten each run.
fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("regscope-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&base).expect("fuzz directory");
        base
    })
}

fuzz_target!(|data: &[u8]| {
    // The first part is docker's file, the rest podman's.
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (docker, podman) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let dir = dir();
    std::fs::write(dir.join("config.json"), docker).expect("write config.json");
    std::fs::write(dir.join("auth.json"), podman).expect("write auth.json");
    let vars: HashMap<String, String> = [
        ("DOCKER_CONFIG", dir.display().to_string()),
        (
            "REGISTRY_AUTH_FILE",
            dir.join("auth.json").display().to_string(),
        ),
        ("HOME", dir.display().to_string()),
        ("PATH", String::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let resolver = Resolver::with_env(vars);
    let mut registries: Vec<String> = resolver
        .configured_registries()
        .into_iter()
        .map(|(r, _)| r)
        .take(8)
        .collect();
    registries.push("registry.example".into());
    registries.push("docker.io".into());
    for registry in registries {
        let resolved = common::runtime().block_on(resolver.resolve(&registry));
        if let Some(c) = &resolved.credentials {
            let secret = c.secret();
            if secret.len() >= 6 {
                for note in &resolved.notes {
                    assert!(!note.contains(secret), "a note shows the secret: {note}");
                }
                assert!(
                    !format!("{resolved:?}").contains(secret),
                    "Debug shows the secret"
                );
            }
        }
    }
});
